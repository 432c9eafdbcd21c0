"""Where runs are kept: the local journals (the default) or a shared MongoDB, behind one interface.

Nothing here imports pymongo until a MongoDB history is actually used.
"""

from plbook.history.setting import open_store
from plbook.history.store import HistoryStore, RunQuery

__all__ = ["HistoryStore", "RunQuery", "open_store"]
