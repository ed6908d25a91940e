from django.db import connections


class PrimaryReplicaRouter:
    """Reads go to the replica, writes to the primary; only used when DATABASE_REPLICA_URL is set.

    A read inside a transaction on the primary stays on the primary, so services that
    read their own writes (and every row lock) see current data.
    """

    def db_for_read(self, model, **hints):
        if connections["default"].in_atomic_block:
            return "default"
        return "replica"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
