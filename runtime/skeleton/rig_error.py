"""The error of a rig file that cannot be loaded (its glTF, mapping, spring bones or materials)."""


class RigError(ValueError):
    """A rig file that cannot be loaded; the message names the file and the cause."""
