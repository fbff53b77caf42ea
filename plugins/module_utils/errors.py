# -*- coding: utf-8 -*-
# Copyright: (c) 2026, endpoint_ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The error a user fixes in the task, as opposed to a bug in the collection. Pure Python."""

from __future__ import annotations


class SepmInputError(ValueError):
    """Bad input: an option with a wrong value, a group or policy that does not exist.

    Its message is one line that names the option and says what to give instead; a
    module reports it without a traceback. It is a ValueError so code that already
    catches ValueError for bad input keeps working.
    """
