//! Mean-field predictions: balanced-limit rates, the Siegert transfer function, Brunel model A.
