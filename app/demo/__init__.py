"""`make run`: the embedded stack, the simulators of every domain and their live scoring."""
