"""Publishing: the public read side (approved threads, one comment, the author's status poll).

The endpoints still live in mizan.service.intake.api beside the write side; see CHANGELOG.
"""
