// routing findprovs: the providers of a CID, as delegated routers (HTTP, Routing V1) name them.
// routing mdns: the nodes on the local network (multicast DNS).
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/cli.h"
#include "core/json_util.h"
#include "core/terminal_text.h"
#include "net/mdns.h"
#include "net/routing.h"
#include "router/providers.h"
#include "store/cid.h"

namespace ipfs_accelerate::cli {
namespace {

struct FindProvsOpts {
  std::string cid;
  std::vector<std::string> routers;
  double timeout_s = 30;
  bool json = false;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : " ") + s;
  return out;
}

int FindProvs(const FindProvsOpts& o) {
  auto cid = store::Cid::Parse(o.cid);
  if (!cid.ok()) return Fail(cid.status());
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  router::RoutedProviders found = router::AskRouters(o.routers, *cid, timeout);
  const std::vector<net::ProviderRecord>& all = found.records;
  const std::vector<std::string>& problems = found.problems;
  const size_t answered = found.answered;
  if (o.json) {
    std::printf("%s\n", net::EncodeProvidersJson(all).c_str());
  } else {
    for (const net::ProviderRecord& r : all) {
      std::string line = r.id + " " + Join(r.addrs);
      if (!r.protocols.empty()) line += " (" + Join(r.protocols) + ")";
      std::printf("%s\n", TerminalSafe(line).c_str());
    }
    if (all.empty() && problems.empty()) {
      std::fprintf(stderr, "no providers of %s\n", cid->ToString().c_str());
    }
  }
  std::fflush(stdout);
  if (problems.empty()) return 0;
  std::string message =
      answered == 0 ? "no router gave a usable answer: " : "malformed routing answers: ";
  for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  return Fail(Status::InvalidArgument(message));
}

struct MdnsOpts {
  double wait_s = 3;
  std::vector<std::string> interfaces;
  bool json = false;
};

int FindOnLan(const MdnsOpts& o) {
  auto node = net::MdnsNode::Start({.interfaces = o.interfaces});
  if (!node.ok()) return Fail(node.status());
  // Queries go out at once and after 1 and 2 s; nodes answer within a fraction of a second.
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(o.wait_s * 1000)));
  std::vector<net::MdnsPeer> peers = (*node)->Peers();
  if (o.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const net::MdnsPeer& p : peers) {
      list.push_back({{"ID", p.peer_id}, {"Url", p.Url()}, {"Instance", p.instance}});
    }
    std::printf("%s\n", DumpJson(nlohmann::json{{"Peers", list}}).c_str());
  } else {
    for (const net::MdnsPeer& p : peers) {
      std::printf(
          "%s\n",
          TerminalSafe((p.peer_id.empty() ? p.instance : p.peer_id) + " " + p.Url()).c_str());
    }
    if (peers.empty()) std::fprintf(stderr, "no node answered within %.1f s\n", o.wait_s);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

void RegisterRoutingCommands(CLI::App& app, Context& ctx) {
  auto* routing = app.add_subcommand(
      "routing",
      "Content routing through delegated routers (HTTP Routing V1), as `ipfs routing`, and the "
      "nodes on the local network (mDNS)");
  routing->require_subcommand(1);
  auto o = std::make_shared<FindProvsOpts>();
  auto* findprovs = routing->add_subcommand(
      "findprovs",
      "List the providers of a CID that delegated routers know (GET "
      "/routing/v1/providers/{cid}): one line per provider, its PeerID then its addresses");
  findprovs->add_option("cid", o->cid, "The CID to find providers of")->required();
  findprovs
      ->add_option("--router", o->routers,
                   "Delegated routing URL (e.g. http://127.0.0.1:8080, or another "
                   "`ipfs-accelerate serve`); repeat for more")
      ->allow_extra_args(false)
      ->required();
  findprovs->add_option("--timeout", o->timeout_s, "Seconds each router may take (default 30)")
      ->check(CLI::PositiveNumber);
  findprovs->add_flag("--json", o->json,
                      "Print {\"Providers\": [...]} as the routing API writes it");
  findprovs->footer(
      "Exit status 1 when a router cannot be reached or answers malformed records or addresses "
      "(the well-formed providers are printed first).");
  findprovs->callback([&ctx, o] {
    ctx.needs_repo = false;
    ctx.run = [o] { return FindProvs(*o); };
  });

  auto m = std::make_shared<MdnsOpts>();
  auto* mdns = routing->add_subcommand(
      "mdns",
      "List the ipfs-accelerate nodes on the local network (multicast DNS service discovery, "
      "_ipfs-accelerate._tcp, as `serve --mdns` announces): one line per node, its PeerID then "
      "its URL");
  mdns->add_option("--wait", m->wait_s, "Seconds to listen for answers (default 3)")
      ->check(CLI::PositiveNumber);
  mdns->add_option("--interface", m->interfaces,
                   "IPv4 address of an interface to ask on; repeat for more (default: every "
                   "interface that is up, multicast-capable and not loopback)");
  mdns->add_flag("--json", m->json, "Print {\"Peers\": [{\"ID\", \"Url\", \"Instance\"}]}");
  mdns->footer(
      "Sends multicast onto the networks of those interfaces. Exit status 1 when no interface "
      "can multicast.");
  mdns->callback([&ctx, m] {
    ctx.needs_repo = false;
    ctx.run = [m] { return FindOnLan(*m); };
  });
}

}  // namespace ipfs_accelerate::cli
