// synfin pcap2corpus CAPTURE... -o DIR: fuzz seeds from captures (pcap2corpus.cc).
#pragma once

#include <string>
#include <vector>

#include "harness/cli/commands.h"

namespace synfin::cli {

inline constexpr char kPcap2corpusUsage[] =
    "synfin pcap2corpus CAPTURE... -o DIR [--target endpoint|connection] [--text] [--keep-going]\n"
    "                   [--max_bytes N]\n"
    "  Turns each TCP flow of pcap/pcapng captures into fuzz seeds: an endpoint and a connection\n"
    "  scenario, binary files named by content hash, in DIR/endpoint and DIR/connection (in DIR\n"
    "  itself with --target). Prints a summary; exit 2 on a bad capture (its record number and\n"
    "  byte offset named; with --keep-going what came before the damage is still converted).";

int cmd_pcap2corpus(const std::vector<std::string>& captures, const Flags& flags);

}  // namespace synfin::cli
