"""Hybrid server (tutorial: "Hybrid Approach"): a thread pool sized min(50, cpus + 4).
"""
import argparse
import os
import socket
from concurrent.futures import ThreadPoolExecutor


def handle_client(client, address):
    """Handle communication with a single client."""
    try:
        while True:
            data = client.recv(1024)
            if not data:
                break
            client.sendall(data.upper())
    finally:
        client.close()


def hybrid_server(host='localhost', port=8080):
    """Server using thread pool with reasonable limit."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(10)  # Larger backlog

    # Limit thread pool size to prevent resource exhaustion
    max_workers = min(50, (os.cpu_count() or 1) + 4)

    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        try:
            while True:
                client, address = server.accept()
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
    hybrid_server(options.host, options.port)
