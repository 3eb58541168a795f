"""Slack action ids: what each button Cascade sends is called, so its click finds its handler.

They are stable across versions: a button in an old message must still find its handler."""

from __future__ import annotations

from conversations.flow import Offer

FLOW_ANSWER = "flow_answer_"  # + index: an answer to a flow's question (ids unique per block)
CYCLE_FORM = "cycle_new"  # the New cycle button, and the modal's callback_id
SUGGEST_FORM = "goal_suggest"  # the Suggest changes modal's callback_id

OFFERS: dict[Offer, str] = {
    Offer.AGREE_GOAL: "goal_agree",
    Offer.SUGGEST_CHANGES: "goal_suggest",
    Offer.REVISE_GOAL: "goal_revise",
    Offer.SET_GOALS: "goal_interview_start",
    Offer.PLAN_UNIT: "objectives_start",
    Offer.NEW_GOAL: "goal_new",
    Offer.RESUME_GOAL: "goal_resume",
    Offer.CHANGE_GOAL: "goal_change",
    Offer.DROP_GOAL: "goal_drop",
    Offer.AGREE_DROP: "goal_agree_drop",
    Offer.KEEP_GOAL: "goal_keep",
}
