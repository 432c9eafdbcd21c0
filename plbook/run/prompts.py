"""The questions a run asks a person: yes or no, a change, a manual verdict, a step, an input."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import TextIO

from plbook.run.console import Console

MANUAL_ANSWERS = {"p": "pass", "f": "fail", "s": "skip", "a": "skip all"}
STEP_ANSWERS = {"y": "yes", "n": "no", "c": "continue"}


@dataclass(frozen=True)
class StepQuestion:
    """The step a question is about, shown whole: where it is, its title, its words, its action."""

    path: str
    title: str
    description: str | None
    action: str
    position: str = ""
    """`[3/7]`: where the step is in its procedure."""


class Prompts:
    """Asks on the console's output and reads the answer from `stdin`."""

    def __init__(self, console: Console, stdin: TextIO) -> None:
        self.console = console
        self.stdin = stdin

    def ask(self, question: str) -> str:
        """Give the answer to a question, lower-cased; end of input is an interruption."""
        return self.ask_text(question).lower()

    def ask_text(self, question: str) -> str:
        """Give the answer to a question as typed, stripped; end of input is an interruption."""
        self.console.pause()
        try:
            self.console.out.write(question)
            self.console.out.flush()
            answer = self.stdin.readline()
        finally:
            self.console.carry_on()
        if not answer:
            raise KeyboardInterrupt  # end of input: nobody is there to answer
        return answer.strip()

    def confirm(self, question: str) -> bool:
        """Give whether the person answered yes."""
        return self.ask(f"{question} [y/N] ") in ("y", "yes")

    def show_step(self, step: StepQuestion, heading: str) -> None:
        """Show the step a question is about: title, description and the exact action."""
        self.console.pause()
        self.console.write(f"{step.position} {step.path}: {step.title}".strip())
        if step.description:
            for line in textwrap.wrap(" ".join(step.description.split()), 76):
                self.console.write(f"  {line}")
        self.console.write(heading)
        for line in step.action.splitlines():
            self.console.write(f"    {line}")

    def confirm_destructive(self, step: StepQuestion) -> bool:
        """Show the step and the exact change; give whether the person wants it made."""
        self.show_step(step, "This step changes something:")
        return self.confirm("Run it?")

    def skip_or_stop(self) -> str:
        """Give what to do after a declined change: `skip` it and go on, or `stop` (default)."""
        answer = self.ask("Skip this step and continue, or stop the run? [s]kip / [S]top: ")
        return "skip" if answer in ("s", "skip") else "stop"

    def ask_manual(self, step: StepQuestion) -> str:
        """Show a manual step whole and give pass, fail or skip."""
        self.show_step(step, "Do this:")
        self.console.write("(or [a]: skip this and every remaining manual check of the run)")
        while True:
            answer = self.ask("Result? [p]ass / [f]ail / [s]kip: ")
            if answer in MANUAL_ANSWERS or answer in MANUAL_ANSWERS.values():
                return MANUAL_ANSWERS.get(answer, answer)

    def ask_step(self, step: StepQuestion) -> str:
        """Under `--step`, show the step and give yes, no or continue (stop asking)."""
        self.show_step(step, "Runs:")
        while True:
            answer = self.ask("Run this step? [y]es / [n]o, skip it / [c]ontinue without asking: ")
            if answer in STEP_ANSWERS or answer in STEP_ANSWERS.values():
                return STEP_ANSWERS.get(answer, answer)

    def ask_input(self, name: str, description: str, pattern: str | None, hint: str | None) -> str:
        """Give a value for a missing input, asked until it matches its pattern."""
        about = f" ({description})" if description else ""
        example = f" [e.g. {hint}]" if hint else ""
        while True:
            value = self.ask_text(f"Input {name}{about}{example}: ")
            if value and (pattern is None or re.fullmatch(pattern, value)):
                return value
            self.console.write(f"  {name} must match {pattern}" if value else f"  {name} is needed")
