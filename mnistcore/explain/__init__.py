"""What is computed from a network to explain it: each unit's push and exact attribution (`attribution`),
the "not sure" score (`doubt`), the hidden layer's map (`hiddenmap`), hidden units' statistics (`units`),
and one backpropagation step with every quantity named (`backprop`)."""
