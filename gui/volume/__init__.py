"""The 3D/4D volume viewer: three orthogonal MPR planes, an en-face slab, playback and 3D marks."""
