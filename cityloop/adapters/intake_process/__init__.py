"""The intake process: a process of its own, beside the server, that de-duplicates, routes and
stores the reports of every server process.

Under load a server process is bound by its interpreter lock: the event loop (parsing, checks,
answers) and the writer thread (the pipeline and the commit) take turns on one core while the
other core idles. `cityloop serve` therefore starts one intake process (`server`) that stores
the batches the server processes send it (`client`) over a Unix socket, merging the batches of
all of them into one transaction. Each server classifies and locates its reports before it
sends them (the work that needs no store), so that the two processes share the load; the
servers keep answering meanwhile. It is started with the server and stops with it; if it is
gone, the servers store their reports themselves.
"""
