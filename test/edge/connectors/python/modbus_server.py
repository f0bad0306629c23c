"""A real Modbus TCP server (pymodbus) for the Modbus source's tests.

Usage: modbus_server.py PORT UNIT_ID
Serves holding registers, input registers, coils and discrete inputs (protocol addresses 0-999,
all zero at first) for one unit id on 127.0.0.1:PORT and prints "ready" once it accepts
connections. Commands on standard input, one a line:
    set TABLE ADDRESS V1,V2,...   TABLE is holding, input, coil or discrete
Each command is answered with "ok" once the values are in place.
"""
import asyncio
import socket
import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

# Modbus function codes of the tables, as the datastore's setValues takes them.
FUNCTION_CODES = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
ITEMS = 1000


async def wait_until_listening(port):
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            await asyncio.sleep(0.02)


async def main():
    port, unit_id = int(sys.argv[1]), int(sys.argv[2])
    device = ModbusDeviceContext(
        co=ModbusSequentialDataBlock(0, [False] * ITEMS),
        di=ModbusSequentialDataBlock(0, [False] * ITEMS),
        hr=ModbusSequentialDataBlock(0, [0] * ITEMS),
        ir=ModbusSequentialDataBlock(0, [0] * ITEMS),
    )
    context = ModbusServerContext(devices={unit_id: device}, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", port))
    serving = asyncio.create_task(server.serve_forever())
    await wait_until_listening(port)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if line == "":
            break
        words = line.split()
        if len(words) == 4 and words[0] == "set":
            table, address, values = words[1], int(words[2]), [int(value) for value in words[3].split(",")]
            code = FUNCTION_CODES[table]
            device.setValues(code, address, [bool(value) for value in values] if code <= 2 else values)
            print("ok", flush=True)
    await server.shutdown()
    serving.cancel()


asyncio.run(main())
