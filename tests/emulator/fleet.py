"""The seeded SEPM world: group tree, policies, computers and critical events.

Everything here depends only on (size, seed, start time): the same arguments give the
same ids, names, versions and states.
"""

import base64
import random
from dataclasses import dataclass, field

from .model import Computer, Group, Location, Policy, Record, serial_number, sql_timestamp

DAY_MS = 86_400_000
SEPM_VERSION = "14.3.25029.9000"
BASELINE_VERSION = "14.3.10148.9000"   # 14.3 RU9 client
PATCH_VERSION = "14.3.10148.9100"      # the client patch this SEPM has downloaded
RU8_VERSION = "14.3.9210.8000"
RU7_VERSION = "14.3.9717.7000"
LINUX_VERSION = "14.3.9816.9000"
MAC_VERSION = "14.3.9681.9000"
SERVER_NAME = "SEPM01"
ADMIN_ID = "AF3C39A10A320801000000DBF200C60A"

ROOT = "My Company"
GROUP_PATHS = (
    ROOT,
    ROOT + "\\Default Group",
    ROOT + "\\Workstations",
    ROOT + "\\Workstations\\Finance",
    ROOT + "\\Workstations\\HR",
    ROOT + "\\Workstations\\Engineering",
    ROOT + "\\Workstations\\Sales",
    ROOT + "\\Servers",
    ROOT + "\\Servers\\SQL",
    ROOT + "\\Servers\\Web",
    ROOT + "\\Servers\\File",
    ROOT + "\\Linux Servers",
    ROOT + "\\Mac",
)
EXTRA_LOCATIONS = {
    ROOT + "\\Workstations": ("Office", "Remote"),
    ROOT + "\\Workstations\\Sales": ("Remote",),
}
DEPARTMENTS = (("FIN", "Finance"), ("HR", "HR"), ("ENG", "Engineering"), ("SAL", "Sales"))

# (type, name, enabled, assigned to My Company, description)
SEED_POLICIES = (
    ("hid", "Intensive Protection policy", False, True, "Created automatically during product installation."),
    ("exceptions", "Exceptions policy", True, True, "Created automatically during product installation."),
    ("mem", "Memory Exploit Mitigation policy", True, True, "Created automatically during product installation."),
    ("ntr", "Web and Cloud Access Protection policy", True, True, "Created automatically during product installation."),
    ("av", "Virus and Spyware Protection policy - Balanced", True, True, "Created automatically during product installation."),
    ("av", "Virus and Spyware Protection policy - High Security", True, False, "Created automatically during product installation."),
    ("av", "Virus and Spyware Protection policy - High Performance", True, False, "Created automatically during product installation."),
    ("fw", "Firewall policy", True, True, "Created automatically during product installation."),
    ("fw", "Quarantine Firewall policy", True, False, "Created automatically during product installation."),
    ("ips", "Intrusion Prevention policy", True, True, "Created automatically during product installation."),
    ("lucontent", "LiveUpdate Content policy", True, True, "Created automatically during product installation."),
    ("lu", "LiveUpdate Settings policy", True, True, "Created automatically during product installation."),
    ("lu", "LiveUpdate - Client Patches Allowed", True, False, "Windows clients may take client patches from LiveUpdate."),
    ("lu", "LiveUpdate - Client Patches Denied", True, False, "Windows clients never take client patches from LiveUpdate."),
    ("hi", "Host Integrity policy", True, False, "Created automatically during product installation."),
    ("adc", "Application and Device Control policy", True, True, "Created automatically during product installation."),
    ("msl", "MSL policy", True, False, "Created automatically during product installation."),
    ("upgrade", "Client Upgrade policy", False, True, "Created automatically during product installation."),
)
LU_PATCH_SETTING = {
    "LiveUpdate Settings policy": False,
    "LiveUpdate - Client Patches Allowed": True,
    "LiveUpdate - Client Patches Denied": False,
}

# os enum code -> (osName, operatingSystem, osFunction, osMajor, osMinor, osServicePack, osFlavorNumber)
OS_TABLE = {
    "Win10": ("Windows 10", "Windows 10 Enterprise Edition", "Workstation", 10, 0, "19045", 4),
    "Win11": ("Windows 11", "Windows 11 Enterprise Edition", "Workstation", 10, 0, "22631", 4),
    "Win2K16": ("Windows Server 2016", "Windows Server 2016 Standard Edition", "Server", 10, 0, "14393", 7),
    "Win2K19": ("Windows Server 2019", "Windows Server 2019 Standard Edition", "Server", 10, 0, "17763", 7),
    "Win2K22": ("Windows Server 2022", "Windows Server 2022 Datacenter Edition", "Server", 10, 0, "20348", 8),
    "RedHat": ("Red Hat Enterprise Linux", "Red Hat Enterprise Linux Server 8.9", "Server", 4, 18, "", 0),
    "Ubuntu": ("Ubuntu", "Ubuntu 22.04.4 LTS", "Server", 5, 15, "", 0),
    "MacOSX": ("macOS", "macOS 14.5", "Workstation", 23, 5, "", 0),
}
KERNELS = {"RedHat": "4.18.0-513.24.1.el8_9.x86_64", "Ubuntu": "5.15.0-107-generic"}

# Fields every computer record shares, with the values of the real capture; but the captured computer was
# infected, and a clean fleet's worstInfectionIdx is "9999" (no detections, the SEPM's SEM_AGENT schema).
STATIC_FIELDS = {
    "agentType": "105", "apOnOff": 1, "atpDeviceId": None, "atpServer": "", "attributeExtension": "",
    "avDefsetRevision": "21", "avDefsetSequence": "236155", "avEngineOnOff": 1, "bashStatus": 1,
    "bwf": 2, "cidsBrowserFfOnOff": 1, "cidsBrowserIeOnOff": 1, "cidsDrvMulfCode": 0, "cidsDrvOnOff": 1,
    "cidsEngineVersion": "17.2.11.37", "cidsSilentMode": 0, "computerDescription": "", "contentUpdate": 1,
    "daOnOff": 1, "deleted": 0, "department": "", "deploymentMessage": "", "deploymentPreVersion": "",
    "deploymentStatus": "302456832", "description": "", "dhcpServer": "0.0.0.0", "edrStatus": 0, "elamOnOff": 1,
    "email": "", "employeeNumber": "", "employeeStatus": "", "encryptedDevicePassword": None, "fbwf": 2,
    "firewallOnOff": 1, "fullName": "", "groupUpdateProvider": False, "homePhone": "", "hypervisorVendorId": "1",
    "idsChecksum": None, "idsSerialNo": "", "idsVersion": "", "infected": 0, "installType": "0", "isGrace": 0,
    "isNpvdiClient": 0, "jobTitle": "", "lastHeuristicThreatTime": 0, "lastServerId": "477D0222092E5BB91EC14117B8C56C14",
    "lastServerName": SERVER_NAME, "lastSiteId": "C18D5D63092E5BB937BFAB713E75E3E9", "lastSiteName": "My Site",
    "lastVirusTime": 0, "licenseExpiry": 0, "licenseId": None, "licenseStatus": -1, "mobilePhone": "",
    "officePhone": "", "osBitness": "x64", "osElamStatus": 0, "osLanguage": "en-US", "patternIdx": "B47B44938636895A503D54AEEB825207",
    "pepOnOff": 1, "processorClock": 2400, "processorType": "Intel64 Family 6 Model 85 Stepping 7",
    "profileChecksum": None, "pskVersion": 0, "ptpOnOff": 1, "quarantineCode": 105,
    "quarantineDesc": "Host Integrity check is disabled.\n Host Integrity policy has been disabled by the administrator.",
    "quarantineStatus": 3, "rebootReason": "", "rebootRequired": 0, "securityVirtualAppliance": None,
    "snacLicenseId": None, "subnetMasks": ["255.255.255.0"], "svaId": None, "tamperOnOff": 1,
    "tdadGlobalDataDownloadTime": 0, "tdadGlobalDataProcessingDoneTime": 0, "tdadOnOff": 1, "tdadStatusId": 127,
    "timeZone": 0, "tmpDevice": None, "tpmDevice": "0", "uwf": 2, "virtualizationPlatform": "VMware",
    "vsicStatus": 3, "winServers": ["0.0.0.0", "0.0.0.0"], "worstInfectionIdx": "9999", "writeFiltersStatus": None,
    "wssStatus": 0, "biosVersion": "INTEL  - 6040000 PhoenixBIOS 4.0 Release 6.0",
    "behavioralAnalysisDefsetVersion": "240820001", "cidsDefsetVersion": "240820081", "avDefsetVersion": "240820021",
}


@dataclass
class World:
    """Everything `build_world` seeds; the emulator state takes it over."""
    domain_id: str
    groups: dict = field(default_factory=dict)
    policies: dict = field(default_factory=dict)
    computers: list = field(default_factory=list)
    critical_events: list = field(default_factory=list)
    patch_versions: list = field(default_factory=list)


@dataclass
class Role:
    """What one seeded computer is before its record is built."""
    name: str
    group_path: str
    os_code: str
    series_index: int
    cluster: str = None


class IdSource:
    """Deterministic 32-character upper-case hex ids."""

    def __init__(self, rng):
        self.rng = rng

    def new(self):
        return f"{self.rng.getrandbits(128):032X}"


PROFILES = ("mixed", "windows")


def _counts(size, profile):
    """How many computers of each kind a fleet of `size` holds; the "windows" profile has only patchable Windows clients."""
    clusters = max(1, size // 20)
    clusters = min(clusters, size // 2)
    linux = round(size * 0.04) if profile == "mixed" else 0
    mac = round(size * 0.02) if profile == "mixed" else 0
    web = round(size * 0.02)
    workstations = size - 2 * clusters - linux - mac - web
    if workstations < 0:
        linux, mac, web, workstations = 0, 0, 0, size - 2 * clusters
    return clusters, linux, mac, web, workstations


def _server_roles(rng, clusters, web, linux, mac):
    roles = []
    for number in range(1, clusters + 1):
        stem, path = ("SQL", "SQL") if number % 2 else ("FS", "File")
        os_code = rng.choice(("Win2K16", "Win2K19", "Win2K19", "Win2K22"))
        for node in (1, 2):
            roles.append(Role(f"{stem}-{number:02d}-N{node}", f"{ROOT}\\Servers\\{path}", os_code, number, f"{stem}-{number:02d}"))
    for number in range(1, web + 1):
        roles.append(Role(f"WEB-{number:02d}", ROOT + "\\Servers\\Web", rng.choice(("Win2K19", "Win2K22")), number))
    for number in range(1, linux + 1):
        roles.append(Role(f"LNX-APP-{number:02d}", ROOT + "\\Linux Servers", rng.choice(("RedHat", "Ubuntu")), number))
    for number in range(1, mac + 1):
        code = DEPARTMENTS[(number - 1) % len(DEPARTMENTS)][0]
        roles.append(Role(f"MAC-{code}-{number:04d}", ROOT + "\\Mac", "MacOSX", number))
    return roles


def _workstation_roles(rng, workstations):
    roles = []
    series = {}
    for number in range(workstations):
        if number % 20 == 19:
            code, path = "DEF", ROOT + "\\Default Group"
        else:
            code, dept = DEPARTMENTS[number % len(DEPARTMENTS)]
            path = f"{ROOT}\\Workstations\\{dept}"
        series[code] = series.get(code, 0) + 1
        os_code = "Win11" if rng.random() < 0.3 else "Win10"
        roles.append(Role(f"WS-{code}-{series[code]:04d}", path, os_code, series[code]))
    return roles


def _roles(size, rng, profile):
    clusters, linux, mac, web, workstations = _counts(size, profile)
    return _server_roles(rng, clusters, web, linux, mac) + _workstation_roles(rng, workstations)


def _windows_version(rng, profile):
    draw = rng.random()
    if draw < 0.80:
        return BASELINE_VERSION
    if draw < 0.88 or profile != "mixed":
        return PATCH_VERSION
    if draw < 0.96:
        return RU8_VERSION
    return RU7_VERSION


def _platform(os_code):
    if os_code in ("RedHat", "Ubuntu"):
        return "linux"
    if os_code == "MacOSX":
        return "mac"
    return "windows"


def _network(rng, index):
    third, fourth = divmod(index, 250)
    mac = "00-50-56-" + "-".join(f"{rng.getrandbits(8):02X}" for _octet in range(3))
    return f"10.{20 + third // 250}.{third % 250}.{fourth + 2}", mac


def _uuid(rng):
    text = f"{rng.getrandbits(128):032X}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _record(role, index, ids, rng, group, start_ms, profile="mixed"):  # pylint: disable=too-many-arguments
    """The full 147-key computer record for one role."""
    platform = _platform(role.os_code)
    function = OS_TABLE[role.os_code][2]
    if platform == "windows":
        version = _windows_version(rng, profile)
    else:
        version = LINUX_VERSION if platform == "linux" else MAC_VERSION
    address, mac = _network(rng, index)
    created = start_ms - rng.randint(30, 700) * DAY_MS
    record = dict(STATIC_FIELDS)
    record.update({
        "agentId": ids.new(), "agentTimeStamp": start_ms, "agentUsn": 1_000_000 + index, "agentVersion": version,
        "computerName": role.name, "computerTimeStamp": start_ms, "computerUsn": 1_000_000 + index,
        "creationTime": created, "currentClientId": ids.new(), "deploymentRunningVersion": version,
        "deploymentTargetVersion": version, "diskDrive": "C:\\" if platform == "windows" else "/",
        "dnsServers": ["10.0.0.10", "10.0.0.11"], "domainOrWorkgroup": "CORP" if platform == "windows" else "",
        "freeDisk": rng.randint(20, 400) * 1_000_000_000, "freeMem": rng.randint(1, 16) * 1_073_741_824,
        "gateways": ["10.0.0.1", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
        "group": {"domain": {"id": group.domain_id, "name": "Default"}, "externalReferenceId": None,
                  "fullPathName": None, "id": group.group.id, "name": group.path, "source": None},
        "hardwareKey": ids.new(), "ipAddresses": [address], "kernel": KERNELS.get(role.os_code),
        "lastConnectedIpAddr": address, "lastDeploymentTime": created + DAY_MS, "lastDownloadTime": start_ms - DAY_MS,
        "lastScanTime": start_ms - rng.randint(1, 48) * 3_600_000, "lastUpdateTime": start_ms,
        "logicalCpus": rng.choice((2, 4, 8, 16)), "loginDomain": "CORP" if platform == "windows" else "LocalComputer",
        "logonUserName": "svc_admin" if function == "Server" else f"user{index:05d}", "macAddresses": [mac],
        "majorVersion": 14, "memory": rng.choice((8, 16, 32, 64)) * 1_073_741_824, "minorVersion": 3,
        "onlineStatus": 1, "physicalCpus": 1, "profileSerialNo": group.group.serial,
        "profileVersion": ".".join(SEPM_VERSION.split(".")[:3]),
        "publicKey": "BgIAAACkAABSU0ExAAgAAAEAAQ" + base64.b64encode(rng.randbytes(240)).decode(),
        "serialNumber": "VMware-" + " ".join(f"{rng.getrandbits(8):02x}" for _octet in range(8)),
        "telemetryHwid": _uuid(rng), "telemetryMid": _uuid(rng), "totalDiskSpace": rng.choice((81567, 153600, 512000)),
        "uniqueId": ids.new(), "uuid": _uuid(rng),
    })
    record.update(_os_fields(role.os_code))
    return Record(sorted(record.items()))


def _os_fields(os_code):
    os_name, operating_system, function, major, minor, service_pack, flavor = OS_TABLE[os_code]
    return {
        "operatingSystem": operating_system, "osFlavorNumber": flavor, "osFunction": function, "osMajor": major,
        "osMinor": minor, "osName": os_name, "osServicePack": service_pack, "osVersion": f"{major}.{minor}",
    }


@dataclass
class _GroupRef:
    group: Group
    path: str
    domain_id: str


def _build_groups(world, ids, start_ms):
    by_path = {}
    for number, path in enumerate(GROUP_PATHS):
        parent_path, _sep, name = path.rpartition("\\")
        group_id = ids.new()
        created = start_ms - (400 - number) * DAY_MS
        policy_ms = start_ms - 7 * DAY_MS + number * 1_003
        locations = [Location(ids.new(), "Default")]
        locations += [Location(ids.new(), extra) for extra in EXTRA_LOCATIONS.get(path, ())]
        parent = by_path.get(parent_path)
        group = Group(
            id=group_id, name=name or path, parent_id=parent.id if parent else None, description="",
            inherits=parent is not None, created_ms=created, created_by=ADMIN_ID.ljust(128),
            serial=serial_number(group_id, policy_ms), policy_date_ms=policy_ms, modified_ms=created,
            locations=locations,
        )
        if parent:
            parent.children.append(group_id)
        by_path[path] = group
        world.groups[group_id] = group
    return by_path


def _build_policies(world, ids, root, start_ms):
    for number, (ptype, name, enabled, assigned, desc) in enumerate(SEED_POLICIES):
        policy = Policy(
            id=ids.new(), name=name, ptype=ptype, enabled=enabled, desc=desc,
            lastmodified_ms=start_ms - 30 * DAY_MS + number * 78,
            configuration=lu_configuration(LU_PATCH_SETTING[name]) if ptype == "lu" else None,
        )
        world.policies[policy.id] = policy
        if not assigned:
            continue
        if ptype == "lucontent":
            root.group_policies[ptype] = policy.id
        else:
            root.assignments.setdefault(root.default_location.id, {})[ptype] = policy.id


def lu_configuration(allow_windows_patches):
    """A LiveUpdate Settings policy configuration (PolicyLuConfigurationObject.configuration)."""
    def platform(allow_patch):
        return {
            "advanced": {
                "allow_download_smaller_package": True, "allow_manual_lu": True, "allow_patch_by_lu": allow_patch,
                "allow_proxy_setting_change": False, "allow_schedule_change": False, "require_http_headers": False,
            },
            "schedule": {
                "av_def_age": 2, "av_def_check_enabled": True, "av_def_check_freq": "DAILY", "day": "MONDAY",
                "disconnection_check_duration": 8, "disconnection_check_enabled": False, "disconnection_check_freq": "HOURLY",
                "download_interval": 4, "frequency": "CONTINUOUS", "idle_detection": True, "randomize_window": 1,
                "retry_window": 1, "start_hour": 0, "start_minute": 0, "start_time": 0,
            },
            "server": {
                "activate_ftp_mode": False, "https_trusted": True, "use_3rd_party_server": False,
                "use_default_mgmt_server": True, "use_liveupdate_server": False,
            },
        }
    return {"windows": platform(allow_windows_patches), "mac": platform(False), "linux": platform(False)}


def package_event(event_id, when_ms, product):
    """A critical event saying SEPM downloaded a client package or patch from LiveUpdate."""
    stamp = sql_timestamp(when_ms)
    moment = stamp[:19]
    return {
        "acknowledged": 0,
        "eventDateTime": stamp,
        "eventId": event_id,
        "message": (
            f"Date: {moment} UTC\tServer: {SERVER_NAME}\nDownload: Successfully downloaded the {product} "
            "package from LiveUpdate. This package is now available for deployment."
        ),
        "subject": "New software package available",
    }


def patch_product(version):
    """'Symantec Endpoint Protection 14.3 RU9 client patch 14.3.10148.9100' for a patch version."""
    parts = version.split(".")
    return f"Symantec Endpoint Protection {parts[0]}.{parts[1]} RU{int(parts[3]) // 1000} client patch {version}"


def _build_events(world, ids, start_ms):
    health = (
        f"Server {SERVER_NAME} health status: poor. \nReason: The Symantec Endpoint Protection Manager server does not "
        "have Symantec Endpoint Protection installed. \nStatus reported on the server."
    )
    world.critical_events += [
        {"acknowledged": 0, "eventDateTime": sql_timestamp(start_ms - 20 * DAY_MS), "eventId": ids.new(),
         "message": health, "subject": "Server Health Alert"},
        package_event(ids.new(), start_ms - 15 * DAY_MS, "Symantec Agent for Linux 14.3 RU9"),
        package_event(ids.new(), start_ms - 15 * DAY_MS + 60_000, "Symantec Endpoint Protection 14.3 RU9"),
        {"acknowledged": 0, "eventDateTime": sql_timestamp(start_ms - 9 * DAY_MS), "eventId": ids.new(),
         "message": "Number of system events detected: 1 \r\nSystem events included: Server and Errors.\r\n\r\n",
         "subject": "System Event Notification"},
        package_event(ids.new(), start_ms - 2 * DAY_MS, patch_product(PATCH_VERSION)),
    ]
    world.patch_versions.append(PATCH_VERSION)


def _mark_offline_and_reboot(computers, rng, size, profile):
    """~3% offline (never cluster members, never the first hosts of a series; none in the "windows" profile),
    a few with a reboot pending."""
    eligible = [c for c, index in computers if c.cluster is None and index > 3]
    offline = rng.sample(eligible, min(len(eligible), round(size * 0.03))) if profile == "mixed" else []
    for computer in offline:
        computer.online = False
        computer.record["onlineStatus"] = 0
        computer.record["lastUpdateTime"] -= rng.randint(2, 72) * 3_600_000
    offline_ids = {id(c) for c in offline}
    candidates = [c for c in eligible if id(c) not in offline_ids and c.platform == "windows"]
    for computer in rng.sample(candidates, min(len(candidates), max(1, size // 100) if size >= 20 else 0)):
        computer.record["rebootRequired"] = 1
        computer.record["rebootReason"] = "Windows Update"


def build_world(size, seed, start_ms, profile="mixed"):
    """Seed a SEPM holding `size` computers."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
    rng = random.Random(seed)
    ids = IdSource(rng)
    world = World(domain_id=ids.new())
    by_path = _build_groups(world, ids, start_ms)
    root = by_path[ROOT]
    _build_policies(world, ids, root, start_ms)
    allow_by_default = LU_PATCH_SETTING["LiveUpdate Settings policy"]
    built = []
    for index, role in enumerate(_roles(size, rng, profile)):
        group = by_path[role.group_path]
        record = _record(role, index, ids, rng, _GroupRef(group, role.group_path, world.domain_id), start_ms, profile)
        computer = Computer(
            record=record, os_code=role.os_code, platform=_platform(role.os_code), hb_phase=rng.random(),
            cluster=role.cluster, applied_allow_patch=allow_by_default,
        )
        built.append((computer, role.series_index))
    _mark_offline_and_reboot(built, rng, size, profile)
    world.computers = [computer for computer, _index in built]
    _build_events(world, ids, start_ms)
    return world
