"""Class and learner selection shared by every page (SPEC D1).

The widgets are bound to the URL query string (?classe=…&apprenant=…) so a reload or a shared link
shows the same learner, and the same keys are used on every page so the choice follows the teacher
from page to page. Access is checked by the service functions, whatever the URL says."""

from __future__ import annotations

import streamlit as st

from livret import school
from livret.permissions import User

CLASS_KEY = "classe"
LEARNER_KEY = "apprenant"
_CLASS_ORDER_KEY = "_apprenants_de_la_classe"  # the chosen class's learner ids, in the select box's order


def _step(labels: list[str], offset: int) -> None:
    current = st.session_state.get(LEARNER_KEY)
    index = labels.index(current) if current in labels else 0
    st.session_state[LEARNER_KEY] = labels[(index + offset) % len(labels)]


def pick_class(db, user: User, *, container=None, compact: bool = False) -> int | None:
    """A « Classe » select box of the classes the user may see; returns the class id. compact: its label is
    for screen readers only (the box shows the class's name)."""
    classes = school.visible_classes(db, user)
    if classes.empty:
        st.info("Aucune classe ne vous est attribuée.")
        return None
    ids_by_name = dict(zip(classes["name"], classes["id"]))
    target = container or st
    name = target.selectbox("Classe", list(ids_by_name), key=CLASS_KEY, bind="query-params",
                            label_visibility="collapsed" if compact else "visible")
    return int(ids_by_name[name]) if name is not None else None


def pick_learner(db, user: User, *, stepper: bool = True, compact: bool = False) -> int | None:
    """Class, then learner (sorted by last name), with « ← Précédent » / « Suivant → » that wrap; compact:
    the boxes' labels are for screen readers only (they show the class and the learner).

    Returns the chosen learner's id, or None when the user has no class or the class is empty."""
    class_column, previous_column, learner_column, next_column = st.columns(
        [2, 1, 3, 1] if stepper else [2, 0.01, 4, 0.01], vertical_alignment="bottom")
    class_id = pick_class(db, user, container=class_column, compact=compact)
    if class_id is None:
        return None
    learners = school.class_learners(db, user, class_id)
    if learners.empty:
        st.info("Cette classe ne compte aucun apprenant.")
        return None
    ids_by_label = dict(zip(learners["full_name"], learners["id"]))
    labels = list(ids_by_label)
    st.session_state[_CLASS_ORDER_KEY] = [int(i) for i in ids_by_label.values()]
    if st.session_state.get(LEARNER_KEY) not in labels:
        st.session_state[LEARNER_KEY] = labels[0]  # a learner of another class: start at the first one
    if stepper:
        previous_column.button("← Précédent", on_click=_step, args=(labels, -1), width="stretch")
        next_column.button("Suivant →", on_click=_step, args=(labels, 1), width="stretch")
    label = learner_column.selectbox("Apprenant", labels, key=LEARNER_KEY, bind="query-params",
                                     label_visibility="collapsed" if compact else "visible")
    return int(ids_by_label[label]) if label is not None else None


def neighbour_ids(learner_id: int) -> list[int]:
    """The learners « Suivant → » then « ← Précédent » lead to from learner_id (wrapping), as the last
    pick_learner call listed them."""
    order = st.session_state.get(_CLASS_ORDER_KEY, [])
    if learner_id not in order or len(order) < 2:
        return []
    index = order.index(learner_id)
    return list(dict.fromkeys([order[(index + 1) % len(order)], order[index - 1]]))
