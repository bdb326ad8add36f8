"""The browser side of the dashboard's two dialogs drawn in the page (« ? » and « BI »): how a <dialog> is
shown as a modal, in one place for both elements (livret/ui/grid_element.py, livret/ui/bilan_sheet.py).

Why not the browser's own showModal(): it makes the rest of the page inert, and Chromium then computes the
style of every element of the page again when the dialog opens and when it closes — on the dashboard, with
its grid of thousands of cells, that made opening « ? » 1.2–1.4× the cheapest rerun instead of 0.8×, and
choosing a level 2.0–2.3× instead of 1.7× (benchmark, same run). So the dialog is shown with show(), moved
to the end of the page's body (above everything, outside any box that would clip it), over a shade that
takes every click outside it. What showModal gave is done here: aria-modal for screen readers, Tab and
Shift+Tab kept inside the dialog, Échap closing it (the element decides how, through its « cancel »
event), a click on the shade closing it too, and the focus given back to what had it before."""

MODAL_JS = """
const LV_FOCUSABLE = "button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), "
  + "a[href], [tabindex]:not([tabindex='-1'])";

// The dialog, moved to the end of the body once (found again there when the element is drawn anew).
function lvPortal(dialog) {
  if (dialog.parentElement !== document.body) document.body.append(dialog);
  if (!dialog.lvShade) {
    const shade = document.createElement("div");
    shade.className = "lv-shade";
    shade.hidden = true;
    shade.onclick = () => dialog.dispatchEvent(new Event("cancel", { cancelable: true }));
    document.body.append(shade);
    dialog.lvShade = shade;
    dialog.setAttribute("aria-modal", "true");
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        dialog.dispatchEvent(new Event("cancel", { cancelable: true }));
        return;
      }
      if (event.key !== "Tab") return;
      const stops = [...dialog.querySelectorAll(LV_FOCUSABLE)].filter((e) => e.offsetParent !== null);
      if (!stops.length) return;
      const first = stops[0], last = stops[stops.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    });
  }
  return dialog;
}

function lvShowModal(dialog) {
  lvPortal(dialog);
  if (dialog.open) return;
  dialog.lvReturn = document.activeElement;
  dialog.lvShade.hidden = false;
  dialog.show();
}

// Closes the dialog; the focus goes back to what had it before, unless the caller gives it elsewhere.
function lvCloseModal(dialog, giveFocusBack = true) {
  if (!dialog.open) return;
  dialog.close();
  if (dialog.lvShade) dialog.lvShade.hidden = true;
  const back = dialog.lvReturn;
  dialog.lvReturn = null;
  if (giveFocusBack && back && back.isConnected) back.focus({ preventScroll: true });
}
"""

MODAL_CSS = """
dialog.lv-modal[open] { position: fixed; inset: 0; margin: auto; z-index: 1000002; }
.lv-shade { position: fixed; inset: 0; z-index: 1000001; background: rgba(0, 0, 0, .45); }
.lv-shade[hidden] { display: none; }
"""
