"""What every command line of the project shares: help that shows each option's default, and
argument types whose errors read as usage errors."""
from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written (they hold JSON shapes and examples); every option's help ends with
    its default unless the help already names it, so a new user never has to read the code."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (not action.option_strings or action.required or action.default is argparse.SUPPRESS
                or "default" in text):
            return text
        value = action.default
        if value is None or value == []:
            shown = "none"
        elif value is False:
            shown = "off"
        elif isinstance(value, list):
            shown = " ".join(map(str, value))
        else:
            shown = str(value)
        return f"{text} (default: {shown.replace('%', '%%')})".lstrip()


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser with HelpFormatter, for itself and (by inheritance) its subcommands."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number
