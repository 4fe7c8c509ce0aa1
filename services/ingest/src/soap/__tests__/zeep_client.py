#!/usr/bin/python3
"""A standard SOAP client against the served WSDL: zeep loads it from the URL, then calls
PushEvent (nms:rtEvent) and PushEvents (nms:batchEvent) and a PushEvent with a bad login.
Prints one JSON line for soap.int.test.ts. Usage: zeep_client.py <base-url> <sessiontoken>"""
import json
import sys

import zeep
from lxml import etree

base, token = sys.argv[1], sys.argv[2]

# domEvent is open content (xsd:any): zeep takes the event as an lxml element under _value_1.
rt_event = etree.fromstring(
    '<rtEvent type="ORDER_CONFIRMATION" email="zeep@example.org" externalId="zeep-1" wishedChannel="0">'
    '<ctx><customer><firstName>Zeep</firstName></customer>'
    '<order number="Z-1"><line sku="A"/><line sku="B"/></order></ctx></rtEvent>'
)
rt = zeep.Client(f"{base}/nl/jsp/schemawsdl.jsp?schema=nms:rtEvent")
pl_id = rt.service.PushEvent(sessiontoken=token, domEvent={"_value_1": [rt_event]})

batch = zeep.Client(f"{base}/nl/jsp/schemawsdl.jsp?schema=nms:batchEvent")
events = [
    etree.fromstring(f'<batchEvent type="ORDER_CONFIRMATION" email="b{i}@example.org"><ctx><n>{i}</n></ctx></batchEvent>')
    for i in range(2)
]
pl_ids = batch.service.PushEvents(sessiontoken=token, domEventCollection={"_value_1": events})

fault = None
try:
    rt.service.PushEvent(sessiontoken="mc/wrong", domEvent={"_value_1": [rt_event]})
except zeep.exceptions.Fault as error:
    detail = error.detail.text if error.detail is not None else None
    fault = {"code": error.code, "message": error.message, "detail": detail}

print(json.dumps({"plId": str(pl_id), "plIds": [str(i) for i in pl_ids], "fault": fault}))
