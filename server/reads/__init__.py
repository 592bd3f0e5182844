"""The read model that more than one delivery surface needs: the REST API and the console
both read current inventory (:mod:`server.reads.inventory`) and compare a physical count with
it (:mod:`server.reads.stocktake`, AUDIT-VARIANCE), and list an event's state calls
(:mod:`server.reads.statecalls`) through these modules, so each query lives once; both select
the columns their rows show by the rows' own fields (:mod:`server.reads.columns`). Reads
only: nothing here writes.
"""
