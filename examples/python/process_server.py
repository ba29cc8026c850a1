"""Process-based server (tutorial: "Approach 2: Multiprocessing"): one process per client.

Each client's socket is held by a child process of its own; the parent closes its copy.
"""
import argparse
import multiprocessing
import socket
import sys


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


def process_based_server(host='localhost', port=8080):
    """TCP server using separate processes for each client."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(5)
    log(f"Process-based server listening on {host}:{port}")
    try:
        while True:
            client, address = server.accept()
            # Create process for this client
            process = multiprocessing.Process(
                target=handle_client,
                args=(client, address)
            )
            process.daemon = True
            process.start()
            # Close client in parent (child has its own copy)
            client.close()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == '__main__':
    multiprocessing.freeze_support()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--host', default='localhost')
    parser.add_argument('--port', type=int, default=8080)
    options = parser.parse_args()
    process_based_server(options.host, options.port)
