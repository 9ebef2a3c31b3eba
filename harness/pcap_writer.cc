#include "harness/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace synfin::harness {

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::open(const std::string& path, View view) {
  const std::string tmp = path + ".tmp";
  pcap_t* dead = pcap_open_dead(DLT_RAW, kSnapLen);
  if (dead == nullptr) {
    return absl::InternalError(absl::StrCat("pcap ", path, ": pcap_open_dead failed"));
  }
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    const int err = errno;
    pcap_close(dead);
    return absl::UnavailableError(
        absl::StrCat("pcap ", path, ": cannot create ", tmp, ": ", std::strerror(err)));
  }
  pcap_dumper_t* dumper = pcap_dump_fopen(dead, f);
  if (dumper == nullptr) {
    const std::string why = pcap_geterr(dead);
    std::fclose(f);
    std::remove(tmp.c_str());
    pcap_close(dead);
    return absl::UnavailableError(
        absl::StrCat("pcap ", path, ": cannot write header to ", tmp, ": ", why));
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(path, view, dead, dumper));
}

PcapWriter::PcapWriter(std::string path, View view, pcap* dead, pcap_dumper* dumper)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp"), view_(view), dead_(dead),
      dumper_(dumper) {}

PcapWriter::~PcapWriter() {
  if (!finished_) {
    close();
    std::remove(tmp_path_.c_str());
  }
}

void PcapWriter::close() {
  if (dumper_ != nullptr) {
    pcap_dump_close(dumper_);  // closes the FILE too
    dumper_ = nullptr;
  }
  if (dead_ != nullptr) {
    pcap_close(dead_);
    dead_ = nullptr;
  }
}

absl::Status PcapWriter::finish() {
  if (finished_) {
    return absl::FailedPreconditionError(absl::StrCat("pcap ", path_, ": already finished"));
  }
  finished_ = true;
  auto fail = [&](const std::string& why) {
    close();
    std::remove(tmp_path_.c_str());
    return absl::DataLossError(absl::StrCat("pcap ", path_, ": ", why));
  };
  // pcap_dump ignores write errors; they surface here, in the flush or the stream's
  // error flag.
  if (pcap_dump_flush(dumper_) != 0) return fail(absl::StrCat("cannot flush ", tmp_path_));
  if (std::ferror(pcap_dump_file(dumper_))) {
    return fail(absl::StrCat("write error on ", tmp_path_));
  }
  close();
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp_path_.c_str());
    return absl::DataLossError(absl::StrCat("pcap ", path_, ": cannot rename ", tmp_path_,
                                            " to it: ", std::strerror(err)));
  }
  return absl::OkStatus();
}

void PcapWriter::write_packet(std::span<const uint8_t> bytes, Instant at) {
  if (finished_ || dumper_ == nullptr) return;
  const int64_t us = std::max<int64_t>(at.us, 0);
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<decltype(hdr.ts.tv_sec)>(us / 1000000);
  hdr.ts.tv_usec = static_cast<decltype(hdr.ts.tv_usec)>(us % 1000000);
  hdr.len = static_cast<bpf_u_int32>(bytes.size());
  hdr.caplen = std::min<bpf_u_int32>(hdr.len, kSnapLen);
  static const uint8_t kNothing = 0;  // fwrite must not see a null pointer
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, bytes.empty() ? &kNothing : bytes.data());
  ++packets_;
}

void PcapWriter::on_wire_send(int from_host, std::span<const uint8_t> bytes, Instant now) {
  if (view_ == View::kSent) write_packet(bytes, now);
}

void PcapWriter::on_wire_deliver(int to_host, std::span<const uint8_t> bytes, Instant now) {
  if (view_ == View::kReceived) write_packet(bytes, now);
}

}  // namespace synfin::harness
