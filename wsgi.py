import gc

from louise import create_app

app = create_app()

# What the app loaded (modules, schemas, the routing and translation tables: some 230,000
# objects) lives as long as the worker. Out of the collector's reach, a full collection no
# longer walks them: it took 150-210 ms, inside whichever request it fell in.
gc.freeze()
