"""Errors the front ends turn into one clear line and exit status 2."""


class InputError(Exception):
    """Bad input from the user: a config file, a forecast body, an argument.

    Each entry of ``problems`` is one complete line naming the file, key or field and what was
    expected; front ends print them as they are, without a traceback.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
