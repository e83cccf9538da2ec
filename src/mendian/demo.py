"""Demo data for `mendian demo`: a small chain built through the real services. Running it twice changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from mendian.catalog.demo import demo_catalog
from mendian.inventory.demo import demo_inventory
from mendian.members.demo import demo_members
from mendian.stores import services as store_services
from mendian.stores.models import Register, StaffProfile, Store
from mendian.stores.roles import roles_sync

DEMO_PASSWORD = "mendian-demo"
DEMO_STORES = [
    ("SH01", "人民广场旗舰店", "上海市黄浦区南京东路100号", "021-63210001"),
    ("SH02", "徐家汇店", "上海市徐汇区漕溪北路18号", "021-64870002"),
]
DEMO_REGISTERS = [("SH01", "T1", "1号收银台"), ("SH01", "T2", "2号收银台"), ("SH02", "T1", "1号收银台")]
DEMO_STAFF = [
    # username, employee_no, name, roles, store codes, all stores, PIN
    ("admin", "0001", "王总", ["hq_admin"], [], True, "8888"),
    ("manager1", "1000", "李店长", ["store_manager"], ["SH01"], False, "1000"),
    ("cashier1", "1001", "张收银", ["cashier"], ["SH01"], False, "1234"),
    ("cashier2", "1002", "陈收银", ["cashier"], ["SH01", "SH02"], False, "5678"),
]


def _tokens_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-register-tokens.json"


def demo_stores() -> dict[str, str]:
    """Stores, registers and staff; returns the registers' device tokens (kept in the data dir for reuse)."""
    roles_sync()
    tokens_path = _tokens_file()
    tokens: dict[str, str] = json.loads(tokens_path.read_text()) if tokens_path.exists() else {}
    stores: dict[str, Store] = {}
    for code, name, address, phone in DEMO_STORES:
        store = Store.objects.filter(code=code).first()
        stores[code] = store or store_services.store_create(
            code=code, name=name, address=address, phone=phone
        )
    for store_code, code, name in DEMO_REGISTERS:
        key = f"{store_code}/{code}"
        register = Register.objects.filter(store=stores[store_code], code=code).first()
        if register is None:
            register, tokens[key] = store_services.register_create(
                store=stores[store_code], code=code, name=name
            )
        elif key not in tokens:
            tokens[key] = store_services.register_token_rotate(register=register)
    for username, employee_no, name, roles, store_codes, all_stores, pin in DEMO_STAFF:
        if StaffProfile.objects.filter(employee_no=employee_no).exists():
            continue
        store_services.staff_create(
            username=username,
            password=DEMO_PASSWORD,
            employee_no=employee_no,
            display_name=name,
            roles=roles,
            stores=[stores[code] for code in store_codes],
            all_stores=all_stores,
            pin=pin,
        )
    tokens_path.write_text(json.dumps(tokens, indent=2))
    tokens_path.chmod(0o600)
    return tokens


def demo_load() -> list[str]:
    """Load every part of the demo and return the lines that tell a person how to sign in."""
    with transaction.atomic():
        tokens = demo_stores()
    demo_catalog()
    demo_inventory()
    member_lines = demo_members()
    lines = [f"后台 Back office: /admin/  (password for every login: {DEMO_PASSWORD})"]
    for username, employee_no, name, roles, store_codes, _all_stores, pin in DEMO_STAFF:
        where = ",".join(store_codes) or "ALL"
        lines.append(
            f"  {username:<9} {name}  roles={','.join(roles)}  stores={where}  employee_no={employee_no} PIN={pin}"
        )
    lines.append("Register device tokens (for /pos/ and the API):")
    for key, token in sorted(tokens.items()):
        lines.append(f"  {key}: {token}")
    lines.extend(member_lines)
    return lines
