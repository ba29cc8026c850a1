"""Thread pool server (tutorial: "Thread Pool Server"): at most 10 clients served at once.

The 11th client is accepted but its work waits in the executor's queue: its bytes sit unread in
the kernel until one of the ten threads is free.
"""
import argparse
import socket
import sys
from concurrent.futures import ThreadPoolExecutor


def log(text):
    print(text, file=sys.stderr, flush=True)


def handle_client(client, address):
    """Handle communication with a single client."""
    try:
        while True:
            data = client.recv(1024)
            if not data:
                break
            client.sendall(data.upper())
    except Exception as e:
        log(f"Error with {address}: {e}")
    finally:
        client.close()


def thread_pool_server(host='localhost', port=8080, max_workers=10):
    """TCP server using thread pool for client handling."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(5)
    log(f"Thread pool server listening on {host}:{port} (max {max_workers} workers)")
    # Create thread pool
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        try:
            while True:
                client, address = server.accept()
                # Submit to thread pool
                executor.submit(handle_client, client, address)
        except KeyboardInterrupt:
            pass
        finally:
            server.close()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--host', default='localhost')
    parser.add_argument('--port', type=int, default=8080)
    options = parser.parse_args()
    thread_pool_server(options.host, options.port)
