"""Learner text made fit to show (lab_utils.grading.text): no escape sequence or control character reaches a
terminal."""

import pytest

from lab_utils.grading.text import for_terminal, one_line


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b]0;new window title\x07",  # OSC title, BEL-terminated
        "\x1b]8;;http://evil.example\x1b\\",  # OSC hyperlink, ST-terminated
        "\x1b[2A\x1b[2K",  # cursor up, erase line
        "\x1b[?1049h",  # the alternate screen
        "\x1b[31m",  # a colour: the lab adds its own, never a learner's
        "\x9b2J",  # the 8-bit CSI: erase the screen
        "\x1bc",  # reset the terminal
        "\r\x08\x00\x7f",  # carriage return, backspace, NUL, DEL
        "\u202e",  # right-to-left override
    ],
)
def test_each_sequence_and_control_is_removed_and_the_text_kept(hostile):
    assert for_terminal(f"before{hostile}after") == "beforeafter"


def test_newlines_stay_and_tabs_become_spaces():
    assert for_terminal("a\tb\nc") == "a b\nc"


def test_a_hyperlinks_visible_text_stays():
    assert for_terminal("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\") == "click"


def test_one_line_strips_joins_and_cuts():
    assert one_line("\x1b]0;t\x07first\nsecond  third", limit=12) == "first sec..."
