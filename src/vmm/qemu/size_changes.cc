#include "vmm/qemu/size_changes.h"

namespace hotmem::vmm::qemu {

void SizeChanges::requested(const std::string& id, RealTime at) { requested_at_[id] = at; }

bool SizeChanges::add(const QmpEvent& event) {
  if (event.name != "MEMORY_DEVICE_SIZE_CHANGE" || !event.timestamp || !event.data.is_object()) return false;
  auto id = event.data.find("id");
  auto size = event.data.find("size");
  // A device without an id is named by its qom-path only: not one of ours.
  if (id == event.data.end() || !id->is_string() || size == event.data.end() || !size->is_number_unsigned()) {
    return false;
  }
  if (changes_.size() >= kMaxKept) changes_.pop_front();
  changes_.push_back({id->get<std::string>(), size->get<std::uint64_t>(), *event.timestamp});
  return true;
}

std::optional<SizeChanges::RealTime> SizeChanges::take_first(const std::string& id,
                                                             const std::function<bool(std::uint64_t)>& done) {
  const auto requested = requested_at_.find(id);
  for (auto it = changes_.begin(); it != changes_.end();) {
    if (it->id != id) {
      ++it;
    } else if (requested != requested_at_.end() && it->at < requested->second) {
      it = changes_.erase(it);  // an earlier request's
    } else if (done(it->size)) {
      const RealTime at = it->at;
      changes_.erase(it);
      return at;
    } else {
      ++it;
    }
  }
  return std::nullopt;
}

}  // namespace hotmem::vmm::qemu
