// The demo catalog `serve --demo` loads into an empty store: a few concerts with schedules,
// seat maps and a general-admission ticket type, so the API can be tried at once.
#pragma once

#include "app/services.h"
#include "ports/store.h"

namespace bo {

// Loads the demo catalog if the store has no concert. Returns whether it loaded it.
bool LoadDemoCatalog(Store& store, Services& svc);

}  // namespace bo
