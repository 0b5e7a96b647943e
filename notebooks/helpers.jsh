// Loaded by 00-kernel-smoke.ipynb with `%load helpers.jsh`: definitions stay for later cells.
int loraParams(int rank, int rows, int cols) { return rank * (rows + cols); }
String helpersLoaded = "helpers.jsh loaded";
