"""External check of the intel-ipu target with the real P4Runtime client from
PyPI (p4runtime-shell). Run by scenario.ts with the target's address and TLS
files; the driver has already written the scenario's pod network as primary
(election id 1000). Phases, chosen by argv[1]:

  backup   connect with a lower election id: read the entries the driver wrote
           and decode them to the scenario's values; a write is refused
           (PERMISSION_DENIED); the shipped p4info.txt parses with Google's
           text_format and equals the P4Info the target serves.
  primary  connect with a higher election id (primary), insert an
           ipv4_to_port entry; scenario.ts then sends a packet that must use it.
           An action profile member in the driver's one-shot lb_selector is refused.
"""
import ipaddress
import json
import sys

import grpc
from google.protobuf import text_format
from p4.config.v1 import p4info_pb2
from p4.v1 import p4runtime_pb2
from p4runtime_sh import shell as sh
from p4runtime_sh.p4runtime import SSLOptions, P4RuntimeWriteException

phase, addr, ca, cert, key, p4info_txt = sys.argv[1:7]
ssl = SSLOptions(False, ca, cert, key)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def num(b):
    return int.from_bytes(b, "big")


def ip(b):
    return str(ipaddress.IPv4Address(num(b)))


def mac(b):
    return ":".join("%02x" % x for x in num(b).to_bytes(6, "big"))


INFO = None  # the P4Info the target serves, set after setup


def table_info(alias):
    return next(t for t in INFO.tables if t.preamble.alias == alias)


def rows(table):
    """Every entry of a table as the wire carried it (the shell's client Read RPC);
    the shell's own TableEntry API must see as many."""
    entity = p4runtime_pb2.Entity()
    entity.table_entry.table_id = table_info(table).preamble.id
    out = [e.table_entry for rep in sh.client.read_one(entity) for e in rep.entities]
    via_shell = sum(1 for _ in sh.TableEntry(table).read())
    check(via_shell == len(out), "%s: the shell's TableEntry read sees %d entries" % (table, len(out)))
    return out


def names(table):
    return {f.id: f.name for f in table_info(table).match_fields}


def action_of(entry):
    a = entry.action.action
    info = next(x for x in INFO.actions if x.preamble.id == a.action_id)
    params = {p.id: p.name for p in info.params}
    return info.preamble.alias, {params[p.param_id]: p.value for p in a.params}


if phase == "backup":
    sh.setup(device_id=1, grpc_addr=addr, election_id=(0, 1), ssl_options=ssl, verbose=False)
    try:
        # The served P4Info equals the shipped text file, parsed by Google's text_format.
        shipped = p4info_pb2.P4Info()
        with open(p4info_txt) as f:
            text_format.Merge(f.read(), shipped)
        served = sh.client.get_p4info()
        INFO = served
        check(served == shipped, "p4info.txt (text format) equals the P4Info the target serves")

        # Endpoints: ipv4_to_port, keyed by address, to port / MAC.
        eps = {}
        f = names("ipv4_to_port")
        for e in rows("ipv4_to_port"):
            m = {f[x.field_id]: x for x in e.match}
            act, p = action_of(e)
            eps[ip(m["dst_addr"].exact.value)] = (act, num(p["port"]), mac(p["dmac"]), json.loads(e.metadata))
        check(eps.get("10.0.0.2") == ("to_endpoint", 3, "0a:00:00:00:00:02", {"ep": "ns/a"}), "endpoint 10.0.0.2 → port 3 (host0), 0a:00:00:00:00:02: %r" % (eps.get("10.0.0.2"),))
        check(eps.get("10.0.0.3", ("",))[0:3] == ("to_endpoint", 4, "0a:00:00:00:00:03"), "endpoint 10.0.0.3 → port 4 (host1)")

        # Routes: LPM prefixes and their actions; the default route has no LPM field (don't care).
        routes = {}
        f = names("ipv4_route")
        for e in rows("ipv4_route"):
            m = {f[x.field_id]: x for x in e.match}
            pfx = "%s/%d" % (ip(m["dst_addr"].lpm.value), m["dst_addr"].lpm.prefix_len) if "dst_addr" in m else "0.0.0.0/0"
            act, p = action_of(e)
            routes[pfx] = (act, {k: num(v) for k, v in p.items()})
        check(routes == {"0.0.0.0/0": ("route_to_nexthop", {"nexthop_id": 1}), "20.0.0.0/8": ("route_to_ecmp", {"group_id": 1}), "30.0.0.0/8": ("route_drop", {})}, "routes decode to the scenario's: %r" % routes)

        # Next hops and the ECMP group (one-shot action set with weights).
        nh = {}
        for e in rows("nexthop"):
            act, p = action_of(e)
            nh[num(e.match[0].exact.value)] = (json.loads(e.metadata)["id"], act, num(p["port"]))
        check(nh == {1: ("gw", "nh_neighbor", 1), 2: ("gw2", "nh_fixed_mac", 2)}, "next hops gw (uplink0 via neighbor) and gw2 (uplink1, fixed MAC): %r" % nh)
        grp = rows("ecmp_group")
        members = [(num(a.action.params[0].value), a.weight) for a in grp[0].action.action_profile_action_set.action_profile_actions] if grp else []
        check(members == [(1, 1), (2, 3)], "ECMP group up = {gw weight 1, gw2 weight 3}: %r" % members)

        # ACL: ternary prefix, range, optional protocol, priority.
        f = names("acl")
        acl = rows("acl")
        web = [e for e in acl if e.priority == 100]
        check(len(acl) == 2 and len(web) == 1, "two acl entries, one at priority 100")
        if web:
            m = {f[x.field_id]: x for x in web[0].match}
            check(ip(m["src_addr"].ternary.value) == "10.0.0.0" and num(m["src_addr"].ternary.mask) == 0xFFFFFF00, "acl src 10.0.0.0/24 as value/mask")
            check((num(m["dst_port"].range.low), num(m["dst_port"].range.high)) == (80, 80), "acl dst port range 80..80")
            check(num(m["protocol"].optional.value) == 6, "acl protocol optional 6")

        # The service: service_lb → backend_group selector groups → dnat_rewrite pointers.
        f = names("service_lb")
        svc = rows("service_lb")
        check(len(svc) == 1, "one service_lb entry")
        if svc:
            m = {f[x.field_id]: x for x in svc[0].match}
            key = (ip(m["vip"].exact.value), num(m["protocol"].exact.value), num(m["port"].exact.value))
            act, p = action_of(svc[0])
            check(key == ("10.96.0.10", 6, 80) and act == "svc_balance", "service 10.96.0.10 TCP 80 balances: %r %s" % (key, act))
            groups = {num(e.match[0].exact.value): [(num(a.action.params[0].value), a.weight) for a in e.action.action_profile_action_set.action_profile_actions] for e in rows("backend_group")}
            dnat = {}
            for e in rows("dnat_rewrite"):
                a, q = action_of(e)
                dnat[num(e.match[0].exact.value)] = "%s:%d" % (ip(q["ip"]), num(q["port"]))
            active = [(dnat.get(ptr), w) for ptr, w in groups.get(num(p["group_id"]), [])]
            standby = [(dnat.get(ptr), w) for ptr, w in groups.get(num(p["standby_group_id"]), [])]
            check(active == [("10.1.0.1:8080", 2)], "its active group holds 10.1.0.1:8080 weight 2: %r" % active)
            check(standby == [("10.1.0.2:8080", 1)], "its standby group holds the terminating 10.1.0.2:8080: %r" % standby)
            check(num(p["empty_drop"]) == 0, "an empty service rejects (empty_drop 0)")
        f = names("service_source")
        src = {}
        for e in rows("service_source"):
            m = {f[x.field_id]: x for x in e.match}
            pfx = "%s/%d" % (ip(m["src_addr"].lpm.value), m["src_addr"].lpm.prefix_len) if "src_addr" in m else "catch-all"
            src[pfx] = action_of(e)[0]
        check(src == {"198.51.100.0/24": "src_allow", "catch-all": "src_deny"}, "source range 198.51.100.0/24 allowed, others denied: %r" % src)

        # A backup may not write.
        te = sh.TableEntry("neighbor")(action="set_neighbor_mac")
        te.match["vrf"] = "0"
        te.match["ip"] = "10.9.9.9"
        te.action["dmac"] = "0a:09:09:09:09:09"
        try:
            te.insert()
            check(False, "a write from a backup is refused")
        except P4RuntimeWriteException as e:
            check("PERMISSION_DENIED" in str(e), "a write from a backup is refused: %s" % str(e).strip().splitlines()[0])
        except Exception as e:  # the shell raises P4RuntimeException for RPC-level errors
            check("PERMISSION_DENIED" in str(e), "a write from a backup is refused with PERMISSION_DENIED: %s" % str(e).strip().splitlines()[0])
    finally:
        sh.teardown()

elif phase == "primary":
    sh.setup(device_id=1, grpc_addr=addr, election_id=(0, 5000), ssl_options=ssl, verbose=False)
    INFO = sh.client.get_p4info()
    try:
        te = sh.TableEntry("ipv4_to_port")(action="to_endpoint")
        te.match["vrf"] = "0"
        te.match["dst_addr"] = "10.0.0.50"
        te.action["port"] = "5"
        te.action["dmac"] = "0a:00:00:00:00:50"
        te.action["ep_tag"] = "9"
        te.action["isolated_ingress"] = "0"
        te.action["isolated_egress"] = "0"
        te.insert()
        f = names("ipv4_to_port")
        got = [{f[m.field_id]: m for m in e.match} for e in rows("ipv4_to_port")]
        check(any(ip(m["dst_addr"].exact.value) == "10.0.0.50" for m in got), "the shell's entry for 10.0.0.50 was inserted as primary")
        # ActionProfileMember over the wire: lb_selector is programmed one-shot by the
        # driver, so a member is refused FAILED_PRECONDITION (no mixing) and nothing changes.
        apm = sh.ActionProfileMember("lb_selector")(action="set_backend", member_id=1)
        apm.action["dnat_ptr"] = "1"
        try:
            apm.insert()
            check(False, "a member in a one-shot lb_selector is refused")
        except Exception as e:
            check("FAILED_PRECONDITION" in str(e), "a member in a one-shot lb_selector is refused FAILED_PRECONDITION: %s" % str(e).strip()[:300])
        check(sum(1 for _ in sh.ActionProfileMember("lb_selector").read()) == 0, "lb_selector has no members (read through the shell)")
        # Hold the primary role until scenario.ts has checked packets and the driver's refusal.
        print("READY", flush=True)
        sys.stdin.readline()
    finally:
        sh.teardown()
else:
    print("unknown phase " + phase)
    sys.exit(2)

sys.exit(1 if failures else 0)
