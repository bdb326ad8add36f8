"""Pure renderers: data in, HTML, SVG, CSV or chart specifications out (no database, no Streamlit)."""
