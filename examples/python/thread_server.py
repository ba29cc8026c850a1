"""Threading server (tutorial: "Approach 1: Threading"): one thread per client.

Every client gets its own OS thread at once, so the OS thread count is the idle threads plus one
per connected client.
"""
import argparse
import socket
import sys
import threading


def log(text):
    # The tutorial prints; here it goes to stderr so stdout stays free for whoever runs us.
    print(text, file=sys.stderr, flush=True)


def handle_client(client, address):
    """Handle communication with a single client."""
    try:
        while True:
            data = client.recv(1024)
            if not data:
                break
            client.sendall(data)  # Echo back
    except Exception as e:
        log(f"Error with {address}: {e}")
    finally:
        client.close()


def threaded_server(host='localhost', port=8080):
    """TCP server that handles multiple clients using threads."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(5)
    log(f"Threaded server listening on {host}:{port}")
    try:
        while True:
            client, address = server.accept()
            # Create thread for this client
            thread = threading.Thread(
                target=handle_client,
                args=(client, address),
                daemon=True  # Dies when main program exits
            )
            thread.start()
            # Main loop continues immediately
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--host', default='localhost')
    parser.add_argument('--port', type=int, default=8080)
    options = parser.parse_args()
    threaded_server(options.host, options.port)
