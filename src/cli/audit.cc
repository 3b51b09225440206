#include <cstdio>
#include <exception>
#include <filesystem>

#include "adapters/postgres/postgres_store.h"
#include "cli/commands.h"
#include "cli/config.h"

namespace bo {

int Audit(const std::string& store, const std::string& data_dir) {
  try {
    if (!IsPostgresUrl(store)) {
      const std::string path =
          store.empty() ? DatabasePath(data_dir) : ResolveSqlitePath(store, data_dir);
      if (!std::filesystem::exists(path)) {
        std::fprintf(stderr, "audit: no store at %s\n", path.c_str());
        return 2;
      }
    }
    auto s = OpenStore(StoreFlags{store, data_dir});
    int failed = 0;
    for (const auto& check : s->Audit()) {
      if (check.ok) {
        std::printf("ok    %s\n", check.name.c_str());
      } else {
        ++failed;
        std::printf("FAIL  %s: %s\n", check.name.c_str(), check.detail.c_str());
      }
    }
    std::printf("%s\n", failed == 0 ? "audit passed" : "audit FAILED");
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "audit: %s\n", e.what());
    return 2;
  }
}

int Migrate(const std::string& store, const std::string& data_dir) {
  try {
    if (IsPostgresUrl(store)) {
      const int applied = postgres::MigratePostgres(store);
      std::printf("%d migrations applied; schema is current at %s\n", applied,
                  pg::DescribeUrl(store).c_str());
      return 0;
    }
    auto s = OpenStore(StoreFlags{store, data_dir});
    std::printf("migrations applied; schema is current at %s\n",
                ResolveSqlitePath(store, data_dir).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "migrate: %s\n", e.what());
    return 2;
  }
}

}  // namespace bo
