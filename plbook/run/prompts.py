"""The questions a run asks a person: yes or no, a destructive change, a manual verdict."""

from __future__ import annotations

from typing import TextIO

from plbook.run.console import Console

MANUAL_ANSWERS = {"p": "pass", "f": "fail", "s": "skip"}


class Prompts:
    """Asks on the console's output and reads the answer from `stdin`."""

    def __init__(self, console: Console, stdin: TextIO) -> None:
        self.console = console
        self.stdin = stdin

    def ask(self, question: str) -> str:
        """Give the answer to a question, lower-cased; end of input is an interruption."""
        self.console.pause()
        try:
            self.console.out.write(question)
            self.console.out.flush()
            answer = self.stdin.readline()
        finally:
            self.console.carry_on()
        if not answer:
            raise KeyboardInterrupt  # end of input: nobody is there to answer
        return answer.strip().lower()

    def confirm(self, question: str) -> bool:
        """Give whether the person answered yes."""
        return self.ask(f"{question} [y/N] ") in ("y", "yes")

    def confirm_destructive(self, action: str) -> bool:
        """Show the exact change and give whether the person wants it made."""
        self.console.write("This step changes something:")
        for line in action.splitlines():
            self.console.write(f"    {line}")
        return self.confirm("Run it?")

    def ask_manual(self, instruction: str) -> str:
        """Show a manual instruction and give pass, fail or skip."""
        self.console.write(instruction)
        while True:
            answer = self.ask("Result? [p]ass / [f]ail / [s]kip: ")
            if answer in MANUAL_ANSWERS or answer in MANUAL_ANSWERS.values():
                return MANUAL_ANSWERS.get(answer, answer)
