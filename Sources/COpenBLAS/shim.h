#pragma once
// OpenBLAS (Debian's pthread build): cblas_* plus thread control.
#include <cblas.h>
