"""A local stand-in for the Passepartout gestionale WebAPI (see README in include/.../gestionale)."""
