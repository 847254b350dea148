"""Slack's limits on what we send, in one place (https://api.slack.com/reference/block-kit).

No imports: every package may use these.
"""

OPTION_TEXT_MAX = 75  # an option's text
OPTION_VALUE_MAX = 150  # an option's value
MAX_OPTIONS = 100  # options in one block_suggestion answer
MAX_SECTION_TEXT = 3000  # a section block's text
MAX_FIELD_TEXT = 2000  # one of a section block's fields
MAX_METADATA = 3000  # a view's private_metadata
MAX_BLOCKS = 100  # blocks in a modal or Home view
