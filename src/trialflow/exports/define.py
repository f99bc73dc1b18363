"""define.xml 2.1 for the ADaM datasets, generated from their pandera schemas and the config.

Each dataset is an ``ItemGroupDef`` (its variables in order, the key, the file it is in); each
variable an ``ItemDef`` whose label is the schema field's ``title``, whose origin is its
``metadata["origin"]`` and whose derivation (the field's ``description``) is a ``MethodDef`` for a
derived variable, else the origin's description. Codelists (arms, visits, parameters, flags) list
the configured values that occur in the data, in config order, with their labels as decodes.

Not produced: value-level metadata (``def:ValueListDef``), analysis results metadata (ARM for
define.xml), a stylesheet, and a check against the CDISC define.xml 2.1 XML schema (not shipped).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pandera.pandas as pa

from trialflow.exports import item_group_oid, item_oid, metadata_version_oid, text_length
from trialflow.exports.dataset_json import data_type

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ET.register_namespace("", ODM)
ET.register_namespace("def", DEF)
ET.register_namespace("xlink", XLINK)

DEFINE_TYPES = {"integer": "integer", "double": "float", "string": "text"}
STRUCTURES = {"ADSL": ("One record per subject", "SUBJECT LEVEL ANALYSIS DATASET")}
BDS_STRUCTURE = ("One record per subject per parameter per analysis visit", "BASIC DATA STRUCTURE")


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, _q(ODM, tag))
    translated = ET.SubElement(element, _q(ODM, "TranslatedText"), {XML_LANG: "en", "type": "text/plain"})
    translated.text = text
    return element


def codelists(datasets: dict[str, pd.DataFrame], settings: dict) -> dict[str, dict]:
    """The codelists: OID -> name, the (dataset, variable) pairs using it, and its values
    (coded value -> decode or None), each the configured values present in the data, in config order."""
    arms, times = settings["arms"], settings["time_points"]
    lists: dict[str, dict] = {}

    def add(oid: str, name: str, pairs: list[tuple[str, str]], values: list[tuple[str, str | None]]):
        pairs = [(d, v) for d, v in pairs if d in datasets and v in datasets[d].columns]
        present = (
            set().union(*(set(datasets[d][v].dropna().unique().astype(str)) for d, v in pairs)) if pairs else set()
        )
        kept = {code: decode for code, decode in values if code in present}
        if pairs and kept:
            lists[oid] = {"name": name, "pairs": pairs, "values": kept}

    adsl = datasets.get("ADSL")
    arm_label = dict(zip(adsl["ARMCD"], adsl["ARM"], strict=False)) if adsl is not None else {}
    add("CL.ARMCD", "Planned Arm Code", [("ADSL", "ARMCD")], [(a["id"], arm_label.get(a["id"])) for a in arms])
    treatment = [("ADSL", "ARM"), ("ADSL", "TRT01P"), ("ADSL", "TRT01A")] + [
        (d, "TRTP") for d in datasets if d != "ADSL"
    ]
    add("CL.TRT", "Treatment", treatment, [(label, None) for label in dict.fromkeys(arm_label.values())])
    for name, frame in datasets.items():
        if "PARAMCD" in frame.columns:
            params = frame.drop_duplicates("PARAMCD").sort_values("PARAMN")
            add(
                f"CL.{name}.PARAMCD",
                f"{name} Parameter Code",
                [(name, "PARAMCD")],
                list(zip(params["PARAMCD"], params["PARAM"], strict=True)),
            )
            add(f"CL.{name}.PARAM", f"{name} Parameter", [(name, "PARAM")], [(p, None) for p in params["PARAM"]])
    visits = [frame for frame in datasets.values() if "AVISIT" in frame.columns]
    if visits:
        shown = pd.concat(visits).drop_duplicates("AVISITN").set_index("AVISITN")["AVISIT"]
        labels = [shown[n] for n in range(len(times)) if n in shown.index]
        add("CL.AVISIT", "Analysis Visit", [(d, "AVISIT") for d in datasets], [(v, None) for v in labels])
    flags_ny = [("ADSL", f) for f in ("FASFL", "SAFFL", "PPROTFL", "COMPLFL")]
    add("CL.NY", "No Yes Response", flags_ny, [("N", "No"), ("Y", "Yes")])
    flags_y = [("ADSL", "RANDFL")] + [(d, f) for d in datasets for f in ("ABLFL", "ANL01FL")]
    add("CL.Y", "Yes Response", flags_y, [("Y", "Yes")])
    add("CL.PARAMTYP", "Parameter Type", [(d, "PARAMTYP") for d in datasets], [("DERIVED", "Derived")])
    return lists


def define_xml(
    datasets: dict[str, pd.DataFrame],
    schemas: dict[str, pa.DataFrameSchema],
    labels: dict[str, str],
    files: dict[str, str],
    settings: dict,
    created: str,
    system_version: str,
) -> bytes:
    """define.xml 2.1 (bytes, UTF-8) for ``datasets`` (name -> frame), described by ``schemas``
    (name -> pandera schema), titled by ``labels`` and stored in ``files`` (name -> file name).

    ``settings``: config ``trial``, ``arms``, ``time_points``; ``created``: ISO date-time (the data
    cut-off) written as the creation time, so the bytes do not depend on the day of the run.
    """
    trial = settings["trial"]
    study = trial["id"]
    root = ET.Element(
        _q(ODM, "ODM"),
        {
            "ODMVersion": "1.3.2",
            "FileType": "Snapshot",
            "FileOID": f"{study}.define",
            "CreationDateTime": created,
            "Originator": "trialflow",
            "SourceSystem": "trialflow",
            "SourceSystemVersion": system_version,
            _q(DEF, "Context"): "Submission",
        },
    )
    study_element = ET.SubElement(root, _q(ODM, "Study"), {"OID": study})
    globals_ = ET.SubElement(study_element, _q(ODM, "GlobalVariables"))
    for tag, text in [
        ("StudyName", study),
        ("StudyDescription", " ".join(trial["title"].split())),
        ("ProtocolName", study),
    ]:
        ET.SubElement(globals_, _q(ODM, tag)).text = text
    mdv = ET.SubElement(
        study_element,
        _q(ODM, "MetaDataVersion"),
        {
            "OID": metadata_version_oid(study),
            "Name": f"{study} ADaM",
            "Description": "ADaM datasets written by trialflow from the validated analysis data set",
            _q(DEF, "DefineVersion"): "2.1.0",
        },
    )
    standards = ET.SubElement(mdv, _q(DEF, "Standards"))
    ET.SubElement(
        standards,
        _q(DEF, "Standard"),
        {"OID": "STD.ADAMIG", "Name": "ADaMIG", "Type": "IG", "Version": "1.3", "Status": "Final"},
    )
    lists = codelists(datasets, settings)
    codelist_of = {pair: oid for oid, cl in lists.items() for pair in cl["pairs"]}
    item_defs, methods = [], []
    for name, frame in datasets.items():
        schema = schemas[name]
        structure, klass = STRUCTURES.get(name, BDS_STRUCTURE)
        group = ET.SubElement(
            mdv,
            _q(ODM, "ItemGroupDef"),
            {
                "OID": item_group_oid(name),
                "Name": name,
                "SASDatasetName": name,
                "Repeating": "No" if name == "ADSL" else "Yes",
                "IsReferenceData": "No",
                "Purpose": "Analysis",
                _q(DEF, "Structure"): structure,
                _q(DEF, "StandardOID"): "STD.ADAMIG",
                _q(DEF, "ArchiveLocationID"): f"LF.{name}",
            },
        )
        _text(group, "Description", labels[name])
        keys = list(schema.unique or [])
        for order, (variable, column) in enumerate(schema.columns.items(), start=1):
            origin = (column.metadata or {}).get("origin", "Derived")
            ref = {
                "ItemOID": item_oid(name, variable),
                "OrderNumber": str(order),
                "Mandatory": "No" if column.nullable else "Yes",
            }
            if variable in keys:
                ref["KeySequence"] = str(keys.index(variable) + 1)
            if origin == "Derived":
                ref["MethodOID"] = f"MT.{name}.{variable}"
                methods.append((ref["MethodOID"], f"Derivation of {name}.{variable}", column.description))
            ET.SubElement(group, _q(ODM, "ItemRef"), ref)
            item_defs.append((name, variable, column, origin, frame[variable]))
        ET.SubElement(group, _q(DEF, "Class"), {"Name": klass})
        leaf = ET.SubElement(group, _q(DEF, "leaf"), {"ID": f"LF.{name}", _q(XLINK, "href"): files[name]})
        ET.SubElement(leaf, _q(DEF, "title")).text = files[name]
    for name, variable, column, origin, values in item_defs:
        kind = DEFINE_TYPES[data_type(column)]
        length = text_length(values) if kind == "text" else 8
        item = ET.SubElement(
            mdv,
            _q(ODM, "ItemDef"),
            {
                "OID": item_oid(name, variable),
                "Name": variable,
                "SASFieldName": variable,
                "DataType": kind,
                "Length": str(length),
            },
        )
        _text(item, "Description", column.title)
        if (name, variable) in codelist_of:
            ET.SubElement(item, _q(ODM, "CodeListRef"), {"CodeListOID": codelist_of[(name, variable)]})
        origin_element = ET.SubElement(item, _q(DEF, "Origin"), {"Type": origin})
        if origin != "Derived":
            _text(origin_element, "Description", column.description)
    for oid, cl in lists.items():
        decoded = any(decode is not None for decode in cl["values"].values())
        element = ET.SubElement(mdv, _q(ODM, "CodeList"), {"OID": oid, "Name": cl["name"], "DataType": "text"})
        for code, decode in cl["values"].items():
            if decoded:
                entry = ET.SubElement(element, _q(ODM, "CodeListItem"), {"CodedValue": code})
                _text(entry, "Decode", decode or code)
            else:
                ET.SubElement(element, _q(ODM, "EnumeratedItem"), {"CodedValue": code})
    for oid, name, description in methods:
        method = ET.SubElement(mdv, _q(ODM, "MethodDef"), {"OID": oid, "Name": name, "Type": "Computation"})
        _text(method, "Description", description)
    ET.indent(root, space=" ")
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"
    )
