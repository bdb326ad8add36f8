"""Bilans intermédiaires de compétences (SPEC B1–B4).

A learner has at most one draft bilan, written one positioning at a time from the dashboard. Confirming
it with the word CONFIRMATION turns it, in one transaction, into a validated, dated, locked bilan. Only
the DDFPT unlocks a validated bilan; an unlocked bilan can be edited and is locked again when
re-confirmed. Creation, unlock, edits and re-lock are written to audit_log with before/after.

This is the face the pages, the dialogs and the tests use; the work is in the modules: positioning
(a competency's place in a bilan), lifecycle (every write, from the draft to the withdrawal), reading
(what is read and shown: bilans, history, audit trail, the standalone document, the radar's data) and
stored (the database reads both share, without permission checks)."""

from livret.bilans.lifecycle import (
    ALREADY_CONFIRMED_MESSAGE,
    CONFIRMATION_WORD,
    LOCKED_MESSAGE,
    NOTHING_POSITIONED_MESSAGE,
    WITHDRAWAL_REASON_MESSAGE,
    ConfirmationReview,
    Draft,
    FillReport,
    apply_propositions,
    check_confirmation,
    confirm_bilan,
    confirmation_review,
    edit_unlocked_bilan,
    fill_from_latest_bilan,
    position_competency,
    read_draft,
    reconfirm_bilan,
    save_draft_positioning,
    save_draft_texts,
    save_unlocked_positioning,
    unlock_bilan,
    withdraw_bilan,
)
from livret.bilans.positioning import CHOICES, NOT_EVALUATED, Positioning
from livret.bilans.reading import (
    AUDIT_ACTIONS,
    FIELD_LABELS,
    Bilan,
    BilanReport,
    audit_trail,
    bilan_detail,
    bilan_document_html,
    bilan_history,
    bilan_positionings,
    bilan_report,
    class_bilans,
    class_latest_reports,
    confirmation_notice,
    document_file_name,
    document_stem,
    history_table,
    latest_validated_bilan,
    learner_bilans,
    learner_class_id,
    learner_competencies,
    learner_name,
    radar_axes_of,
    unit_view,
    unlocked_bilan,
    withdrawn_bilans,
)
from livret.bilans.stored import AUDIT_ENTITY, NOT_WITHDRAWN

__all__ = [
    "ALREADY_CONFIRMED_MESSAGE", "AUDIT_ACTIONS", "AUDIT_ENTITY", "CHOICES", "CONFIRMATION_WORD", "FIELD_LABELS",
    "LOCKED_MESSAGE", "NOTHING_POSITIONED_MESSAGE", "NOT_EVALUATED", "NOT_WITHDRAWN", "WITHDRAWAL_REASON_MESSAGE",
    "Bilan", "BilanReport", "ConfirmationReview", "Draft", "FillReport", "Positioning", "apply_propositions", "audit_trail", "bilan_detail",
    "bilan_document_html", "bilan_history", "bilan_positionings", "bilan_report", "check_confirmation",
    "class_bilans", "class_latest_reports", "confirm_bilan", "confirmation_notice", "confirmation_review", "document_file_name", "document_stem",
    "edit_unlocked_bilan", "fill_from_latest_bilan", "position_competency", "history_table", "latest_validated_bilan", "learner_bilans", "learner_class_id",
    "learner_competencies", "learner_name", "radar_axes_of", "read_draft", "reconfirm_bilan",
    "save_draft_positioning", "save_draft_texts", "save_unlocked_positioning", "unit_view", "unlock_bilan",
    "unlocked_bilan", "withdraw_bilan", "withdrawn_bilans",
]
