//! Reading and writing NumPy .npy and .npz files.
