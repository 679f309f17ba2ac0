"""Readers of a user's message for the replies, one topic a module: what a message says that
changes how it is answered (a heavy event, health limits, a boundary, a question for a
professional...). Each reads common.text.canonical_text (’ as '), case-insensitive; English
only, as the template's replies are. Names with a leading underscore are shared within this
package only."""
