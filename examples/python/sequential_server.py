"""Sequential server (tutorial: "Problem with Sequential Servers"): one client at a time.

While one client is served, the next ones wait: first in the kernel's accept queue (listen(5)),
then, once that is full, as SYNs the kernel does not answer.
"""
import argparse
import socket


def handle_client(client, address):
    """Handle communication with a single client."""
    try:
        while True:
            data = client.recv(1024)
            if not data:
                break
            client.sendall(data)  # Echo back
    finally:
        client.close()


def sequential_server(host='localhost', port=8080):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(5)
    try:
        while True:
            client, addr = server.accept()
            handle_client(client, addr)  # Blocks here!
            # Next client must wait
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--host', default='localhost')
    parser.add_argument('--port', type=int, default=8080)
    options = parser.parse_args()
    sequential_server(options.host, options.port)
