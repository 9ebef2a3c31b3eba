// A broken invariant, as an oracle reports it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "stack/observer.h"
#include "stack/time.h"

namespace synfin::harness {

struct Violation {
  std::string id;           // stable: "seqack.ack-beyond-snd-max"
  int host = -1;
  ConnId conn = kNoConn;
  uint64_t event_index = 0;  // how many events the run had reported when it broke
  Instant at;
  std::string explanation;  // one paragraph, plain words, with the numbers involved

  // "seqack.ack-beyond-snd-max at 0.120000 h1 conn 2 (event 57): ..."
  std::string to_string() const;
};

// Where checkers send what they find. The sink decides what happens next: tests
// collect, `synfin run` prints, fuzz targets abort.
class ViolationSink {
 public:
  virtual ~ViolationSink() = default;
  virtual void report(Violation v) = 0;
};

}  // namespace synfin::harness
