"""Slack action ids: what each button Cascade sends is called, so its click finds its handler.

They are stable across versions: a button in an old message must still find its handler."""

from __future__ import annotations

from conversations.offers import Offer

FLOW_ANSWER = "flow_answer_"  # + index: an answer to a flow's question (ids unique per block)
CYCLE_FORM = "cycle_new"  # the New cycle button, and the modal's callback_id
SUGGEST_FORM = "goal_suggest"  # the Suggest changes modal's callback_id
CHECKIN_FORM = "checkin"  # the check-in modal's callback_id
BARRIER_FORM = "barrier_new"  # the Report a barrier modal's callback_id

OFFERS: dict[Offer, str] = {
    Offer.AGREE_GOAL: "goal_agree",
    Offer.SUGGEST_CHANGES: "goal_suggest",
    Offer.REVISE_GOAL: "goal_revise",
    Offer.SET_GOALS: "goal_interview_start",
    Offer.PLAN_UNIT: "objectives_start",
    Offer.CHECK_IN: "checkin_open",
    Offer.ACKNOWLEDGE_BARRIER: "barrier_acknowledge",
    Offer.RESOLVE_BARRIER: "barrier_resolve",
    Offer.ESCALATE_BARRIER: "barrier_escalate",
    Offer.REPORT_ANTICIPATED: "barrier_report_anticipated",
    Offer.GOAL_ACHIEVED: "goal_close_achieved",
    Offer.GOAL_MISSED: "goal_close_missed",
    Offer.GOAL_DROPPED: "goal_close_dropped",
    Offer.REPORT_BARRIER: "barrier_form_open",
    Offer.NEW_GOAL: "goal_new",
    Offer.RESUME_GOAL: "goal_resume",
    Offer.CHANGE_GOAL: "goal_change",
    Offer.DROP_GOAL: "goal_drop",
    Offer.AGREE_DROP: "goal_agree_drop",
    Offer.KEEP_GOAL: "goal_keep",
}
