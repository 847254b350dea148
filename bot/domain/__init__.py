"""The sale and its rules, pure: no I/O, no threads, no clocks read behind the caller's back.

Here: the sale model (model.py), dates (dates.py), validation (validation.py), reading a
one-line /logsale (one_line.py), what kind of lead was typed (lead_text.py).
May import: the standard library, dateutil, and other ``bot.domain`` modules. Nothing else
in ``bot`` (everything else imports this).
"""
