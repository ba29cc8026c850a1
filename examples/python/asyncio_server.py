"""Async server (tutorial: "Approach 3: Async/Await"): one thread, one event loop, every client.
"""
import argparse
import asyncio
import sys


def log(text):
    print(text, file=sys.stderr, flush=True)


async def handle_client(reader, writer):
    """Handle communication with a single client."""
    address = writer.get_extra_info('peername')
    try:
        while True:
            data = await reader.read(1024)
            if not data:
                break
            # Echo back
            writer.write(data)
            await writer.drain()  # Wait until data is sent
    except Exception as e:
        log(f"Error with {address}: {e}")
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass


async def async_server(host='localhost', port=8080):
    """Async TCP server using asyncio."""
    server = await asyncio.start_server(handle_client, host, port)
    log(f"Async server listening on {host}:{port}")
    async with server:
        await server.serve_forever()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--host', default='localhost')
    parser.add_argument('--port', type=int, default=8080)
    options = parser.parse_args()
    try:
        asyncio.run(async_server(options.host, options.port))
    except KeyboardInterrupt:
        pass
