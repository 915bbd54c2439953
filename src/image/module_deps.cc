#include "image/module_deps.h"

#include <functional>
#include <sstream>

#include <fmt/format.h>

namespace hotmem::image {

std::string module_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  const std::size_t ko = name.find(".ko");
  if (ko != std::string::npos) name.resize(ko);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

Result<ModuleDeps> ModuleDeps::parse(std::string_view modules_dep, std::string_view builtin) {
  ModuleDeps deps;
  std::istringstream lines{std::string(modules_dep)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return Error(fmt::format("modules.dep line {}: no ':'", number));
    const std::string path = line.substr(0, colon);
    const std::string name = module_name(path);
    deps.path_[name] = path;
    std::istringstream rest(line.substr(colon + 1));
    std::string dep;
    auto& list = deps.deps_[name];
    while (rest >> dep) list.push_back(module_name(dep));
  }
  std::istringstream builtins{std::string(builtin)};
  while (std::getline(builtins, line)) {
    if (!line.empty()) deps.builtin_.insert(module_name(line));
  }
  return deps;
}

Result<std::vector<std::string>> ModuleDeps::load_order(const std::vector<std::string>& wanted) const {
  std::vector<std::string> order;
  std::set<std::string> done;
  std::set<std::string> visiting;
  std::function<Status(const std::string&)> visit = [&](const std::string& name) -> Status {
    if (done.contains(name) || builtin_.contains(name)) return ok_status();
    auto path = path_.find(name);
    if (path == path_.end()) return Error(fmt::format("kernel module '{}' is neither in modules.dep nor built in", name));
    if (!visiting.insert(name).second) return Error(fmt::format("kernel module '{}' depends on itself", name));
    if (auto d = deps_.find(name); d != deps_.end()) {
      for (const std::string& dep : d->second) {
        if (Status s = visit(dep); !s) return s;
      }
    }
    visiting.erase(name);
    done.insert(name);
    order.push_back(path->second);
    return ok_status();
  };
  for (const std::string& w : wanted) {
    if (Status s = visit(module_name(w)); !s) return s.error();
  }
  return order;
}

}  // namespace hotmem::image
