"""Three wrong student answers that every chapter's check tests feed to its checks.

Each check must turn each of them into one readable CheckFailed, not a traceback.
"""


def stub(*args, **kwargs):
    """An exercise not attempted yet: the student version's stub."""
    raise NotImplementedError("write your code here")


def returns_none(*args, **kwargs):
    """A function that forgot its return statement."""
    return None


def raises(*args, **kwargs):
    """A function with a bug that raises inside the student's code."""
    raise IndexError("list index out of range")
