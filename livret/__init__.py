"""Livret: competency dashboards, bilans and grades for vocational classes."""
