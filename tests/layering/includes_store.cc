// Compiled by tests/layering: a header of brygga::store, to be refused where store is not linked.
#include "gateway/store/store.h"
