"""The gates of a run: who says yes to a change, a manual verdict, or a step under `--step`.

Every answer is journaled as an `answer` event: the question, the answer, who gave it (the
operator's user name) and whether a person typed it or a flag gave it, so the journal is an
audit trail a postmortem can trust.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from plbook.run.journal import Recorder
from plbook.run.operator import operator_name
from plbook.run.options import RunOptions
from plbook.run.prompts import Prompts, StepQuestion

Decision = Literal["yes", "skip", "stop"]
STOPPED_ERROR = "declined: the change was not made; the run stopped here (--resume asks again)"
SKIPPED_ERROR = "declined: the change was not made; the run went on without it"


@dataclass
class Gates:
    """Asks the person running the procedure, or applies the flags that answer for them."""

    options: RunOptions
    prompts: Prompts
    recorder: Recorder
    asking_each_step: bool = False
    skipping_manual: bool = False
    """The person chose to skip every remaining manual check of the run."""

    def __post_init__(self) -> None:
        self.asking_each_step = self.options.step_by_step

    def record(self, path: str, question: str, answer: str, given_by: str, **more: str) -> None:
        """Journal one answer: what was asked, what was answered, by whom and how."""
        self.recorder.emit(
            {
                "event": "answer",
                "path": path,
                "question": question,
                "answer": answer,
                "user": operator_name(),
                "given_by": given_by,
                **more,
            }
        )

    def input(self, name: str, description: str, pattern: str | None, hint: str | None) -> str:
        """Give a missing input's value, asked in the terminal and journaled as an answer."""
        value = self.prompts.ask_input(name, description, pattern, hint)
        self.record("", f"input {name}", value, "person", input=name)
        return value

    def step_wanted(self, question: StepQuestion) -> bool:
        """Under `--step`, give whether the person wants this step run (y / n / continue)."""
        if not self.asking_each_step:
            return True
        answer = self.prompts.ask_step(question)
        if answer == "continue":
            self.asking_each_step = False
        self.record(question.path, "run this step (--step)", answer, "person")
        return answer != "no"

    def destructive(self, question: StepQuestion, more_follow: bool) -> Decision:
        """Give whether a change is made: `--yes`, else the person's yes, skip or stop."""
        if self.options.yes:
            self.record(question.path, "make this change", "yes", "flag --yes")
            return "yes"
        if self.prompts.confirm_destructive(question):
            self.record(question.path, "make this change", "yes", "person")
            return "yes"
        decision: Decision = "skip"
        if more_follow:
            decision = "skip" if self.prompts.skip_or_stop() == "skip" else "stop"
        self.record(question.path, "make this change", f"no ({decision})", "person")
        return decision

    def manual(self, question: StepQuestion) -> str:
        """Give a manual step's answer: asked in a terminal, else the `--manual` policy."""
        policy = self.options.manual_policy
        if policy != "ask":
            given_by = f"flag --manual {policy}" if self.options.manual else "default: no terminal"
            self.record(question.path, "manual check", policy, given_by)
            return policy
        if self.skipping_manual:
            self.record(question.path, "manual check", "skip", "person: skip all remaining")
            return "skip"
        answer = self.prompts.ask_manual(question)
        self.record(question.path, "manual check", answer, "person")
        if answer == "skip all":
            self.skipping_manual = True
            return "skip"
        return answer
