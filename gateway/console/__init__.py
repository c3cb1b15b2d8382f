"""The FG's web console at ``/fg``: server-rendered pages over the transfer log and register."""
